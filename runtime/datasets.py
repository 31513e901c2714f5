"""Data sets: the bundled CSVs, loading from `.csv` and `.npz`, and shuffled splits.

A `Dataset` is a pair of tensors, features `x` (f32, `[rows, features]`) and labels `y`
(`[rows]`, i64 when every label is integral, else f32). Every problem with a file the user
names is a `UserError` that says which file and, for a bad cell, which line and column.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from mlang.runtime.notes import note
from mlang.support.diagnostics import UserError
from mlang.support.language_options import BUILTIN_DATASETS

# The largest magnitude an f32 holds; a value beyond it would become infinity.
_F32_MAX = float(np.finfo(np.float32).max)
# Integral labels become i64 class ids only while f64 holds them exactly (|v| <= 2**53);
# larger ones (1e23) stay numbers (f32), never wrap around to -9223372036854775808.
_EXACT_INTEGERS = 2.0**53


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features `x` (f32 `[rows, features]`) and labels `y` (`[rows]`)."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def features(self) -> int:
        """The number of feature columns."""
        return self.x.shape[1]

    def slice(self, lo: int | None, hi: int | None) -> Dataset:
        """Rows `lo:hi`, with Python's slice rules (negative and out-of-range bounds)."""
        return Dataset(self.x[lo:hi], self.y[lo:hi])


def builtin_dataset(name: str) -> Dataset:
    """One of the data sets bundled with mlang, by name (`"digits"`, `"iris"`, ...)."""
    if name not in BUILTIN_DATASETS:
        known = ", ".join(f'"{n}"' for n in BUILTIN_DATASETS)
        raise UserError(f'unknown data set "{name}"; the bundled ones are {known}')
    text = resources.files("mlang.runtime").joinpath("data", f"{name}.csv").read_text()
    return _parse_csv(text, f"{name}.csv", target=None)


def load_dataset(path: str | Path, target: str | None = None) -> Dataset:
    """A data set from a `.csv` file (header row; `target` column, default last) or `.npz`."""
    path = Path(path)
    if path.suffix not in (".csv", ".npz"):
        raise UserError(f"cannot load '{path}': expected a .csv or .npz file")
    if not path.is_file():
        raise UserError(f"no such data file: '{path}'")
    if path.suffix == ".npz":
        if target is not None:
            raise UserError(f"target= applies to .csv files only, not to '{path}'")
        return _load_npz(path)
    try:
        # utf-8-sig drops the byte-order mark that spreadsheet exports put first.
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read '{path}': {err}") from None
    return _parse_csv(text, str(path), target)


def split(data: Dataset, fraction: float, seed: int = 0) -> tuple[Dataset, Dataset]:
    """`(first, rest)`: the rows shuffled by `seed`, `round(fraction * rows)` of them first."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        raise UserError(f"split fraction must be a number, got {fraction!r}")
    if not 0.0 < fraction < 1.0:
        raise UserError(f"split fraction must be between 0 and 1 (exclusive), got {fraction}")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    count = round(fraction * len(data))
    first, rest = order[:count], order[count:]
    return Dataset(data.x[first], data.y[first]), Dataset(data.x[rest], data.y[rest])


# ---------------------------------------------------------------------------- CSV


def _parse_csv(text: str, name: str, target: str | None) -> Dataset:
    """Parses CSV text with a header row; `name` is the file name used in messages."""
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if not rows:
        raise UserError(f"'{name}' is empty; expected a header row and data rows")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if not body:
        raise UserError(f"'{name}' has a header but no data rows")
    if len(header) < 2:
        raise UserError(f"'{name}' needs at least one feature column and a target column")
    column = _target_column(header, target, name)
    values = np.array([_parse_row(row, header, name, line) for line, row in _numbered(body)])
    if text and not text.endswith(("\n", "\r")):
        note(f"'{name}' does not end with a line break: its last row (line {len(rows)}) "
             "may be cut short")
    features = np.delete(values, column, axis=1)
    return _make_dataset(features, values[:, column], name)


def _numbered(body: list[list[str]]) -> list[tuple[int, list[str]]]:
    """Pairs each data row with its line number in the file (the header is line 1)."""
    return [(index + 2, row) for index, row in enumerate(body)]


def _target_column(header: list[str], target: str | None, name: str) -> int:
    """The index of the target column: `target` by name, or the last column."""
    if target is None:
        return len(header) - 1
    if target not in header:
        raise UserError(
            f"'{name}' has no column '{target}'; its columns are {', '.join(header)}"
        )
    return header.index(target)


def _parse_row(row: list[str], header: list[str], name: str, line: int) -> list[float]:
    """One data row as floats, checking its width and every cell."""
    if len(row) != len(header):
        raise UserError(
            f"'{name}' line {line} has {len(row)} cells but the header has {len(header)}"
        )
    return [_parse_cell(cell, header[i], name, line) for i, cell in enumerate(row)]


def _parse_cell(cell: str, column: str, name: str, line: int) -> float:
    """One cell as a float, or a `UserError` naming its line and column."""
    try:
        value = float(cell)
    except ValueError:
        raise UserError(
            f"'{name}' line {line}, column '{column}': '{cell}' is not a number"
        ) from None
    if abs(value) > _F32_MAX and np.isfinite(value):
        raise UserError(f"'{name}' line {line}, column '{column}': {cell.strip()} is too "
                        f"large for f32 (at most {_F32_MAX:.7g})")
    return value


# ---------------------------------------------------------------------------- NPZ


def _load_npz(path: Path) -> Dataset:
    """A data set from the arrays `x` (`[rows, features]`) and `y` (`[rows]`) of an .npz."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise UserError(f"cannot read '{path}' as an .npz archive: {err}") from None
    missing = [key for key in ("x", "y") if key not in arrays]
    if missing:
        raise UserError(f"'{path}' lacks the array(s) {', '.join(missing)}; it needs x and y")
    x, y = arrays["x"], arrays["y"]
    for key, array in (("x", x), ("y", y)):
        _check_npz_array(key, array, path)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise UserError(
            f"'{path}' must hold x of shape [rows, features] and y of shape [rows], "
            f"got x {list(x.shape)} and y {list(y.shape)}"
        )
    return _make_dataset(x.astype(np.float64), y.astype(np.float64), str(path))


def _check_npz_array(key: str, array: np.ndarray, path: Path) -> None:
    """Refuses an array that f32 features or labels cannot hold without changing it."""
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise UserError(f"array {key} in '{path}' is not numeric ({array.dtype})")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise UserError(f"array {key} in '{path}' is complex ({array.dtype}); features and "
                        "labels must be real (store the real and imaginary parts as columns)")
    if array.dtype == np.bool_ or array.size == 0:
        return
    with np.errstate(invalid="ignore"):  # NaN compares false: it is kept, as in a CSV
        too_large = np.abs(array.astype(np.float64)) > _F32_MAX
    too_large &= np.isfinite(array)
    if too_large.any():
        where = tuple(int(i) for i in np.argwhere(too_large)[0])
        raise UserError(f"array {key} in '{path}' holds {array[where]} at {list(where)}, "
                        f"too large for f32 (at most {_F32_MAX:.7g})")


def _make_dataset(features: np.ndarray, labels: np.ndarray, name: str) -> Dataset:
    """Converts to tensors: features f32; labels i64 when all integral, else f32."""
    x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    if _all_integral(labels):
        return Dataset(x, torch.from_numpy(labels.astype(np.int64)))
    whole = labels[np.isfinite(labels)]
    if whole.size and np.abs(whole).max() > _EXACT_INTEGERS and np.all(whole == np.floor(whole)):
        note(f"'{name}': label {np.abs(whole).max():.7g} is too large for a class id; "
             "the labels are kept as f32 numbers")
    return Dataset(x, torch.from_numpy(labels.astype(np.float32)))


def _all_integral(values: np.ndarray) -> bool:
    """True when every value is a whole number that an i64 (and an f64) holds exactly."""
    finite = np.all(np.isfinite(values)) and np.all(np.abs(values) <= _EXACT_INTEGERS)
    return bool(finite and np.all(values == np.floor(values)))
