"""`plot(LOG.csv, IMAGE)`: the columns of a `fit` log drawn against the epoch."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from mlang.support.diagnostics import UserError


def plot_log(log: str, image: str) -> None:
    """Draws every column of the CSV `log` but the epoch against the epoch, one panel each,
    into `image` (its extension, such as .png or .svg, picks the format)."""
    # Imported here: matplotlib takes a while to load, and most programs never plot.
    import matplotlib

    matplotlib.use("Agg")  # headless: no display is needed or opened
    from matplotlib import pyplot as plt

    columns = _read_columns(log)
    epochs = columns.pop("epoch", None)
    if epochs is None or not columns:
        raise UserError(f"cannot plot '{log}': it needs an 'epoch' column and another one")
    figure, axes = plt.subplots(len(columns), 1, sharex=True, squeeze=False,
                                figsize=(6, 2.2 * len(columns)))
    for ax, (name, values) in zip(axes[:, 0], columns.items()):
        ax.plot(epochs, values, marker="o")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
    axes[-1, 0].set_xlabel("epoch")
    figure.tight_layout()
    try:
        figure.savefig(image)
    except (OSError, ValueError) as err:
        raise UserError(f"cannot write the plot '{image}': {err}") from None
    finally:
        plt.close(figure)


def _read_columns(log: str) -> dict[str, list[float]]:
    """The numeric columns of a CSV file by header name (an empty cell is NaN)."""
    path = Path(log)
    if not path.is_file():
        raise UserError(f"cannot plot '{log}': no such file")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise UserError(f"cannot plot '{log}': it has no rows")
    header, body = rows[0], rows[1:]
    try:
        return {name: [_number(row[i]) for row in body] for i, name in enumerate(header)}
    except (ValueError, IndexError):
        raise UserError(f"cannot plot '{log}': every cell must be a number") from None


def _number(cell: str) -> float:
    """A CSV cell as a float; an empty cell (a column without a value that epoch) is NaN."""
    return float(cell) if cell.strip() else math.nan
