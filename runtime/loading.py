"""`load(PATH, ...)`: a data set from a table, an `.npz` archive or a folder of images."""

from __future__ import annotations

from pathlib import Path

from mlang.runtime.datasets import Dataset, load_npz
from mlang.runtime.images import load_images
from mlang.runtime.tables import load_table
from mlang.support.diagnostics import UserError

TABLE_SUFFIXES = (".csv", ".jsonl")


def load_dataset(path: str | Path, target: str | None = None, labelled: bool = True,
                 one_hot: bool = False, size: list[int] | None = None) -> Dataset:
    """A data set from a `.csv` or `.jsonl` file (`target` column, default the last; none
    when not `labelled`), an `.npz` file (arrays x and y), or a folder of images by class."""
    path = Path(path)
    if path.is_dir():
        return load_images(path, size)
    if path.suffix not in (*TABLE_SUFFIXES, ".npz"):
        raise UserError(f"cannot load '{path}': expected a .csv, .jsonl or .npz file, or a "
                        "folder of images")
    if not path.is_file():
        raise UserError(f"no such data file: '{path}'")
    if size is not None:
        raise UserError(f"size= applies to image folders only, not to '{path}'")
    if path.suffix == ".npz":
        return load_npz(path, target)
    return load_table(path, target, labelled, one_hot)
