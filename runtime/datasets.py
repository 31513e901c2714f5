"""Data sets: the bundled CSVs, loading files, shuffled splits and standardizing.

A `Dataset` holds features `x` (f32 `[rows, ...]`, or a record: named tensors of `rows`
rows) and labels `y` (`[rows]`, i64 when every label is integral or a class, else f32),
and, for a table, its columns. Every problem with a file the user names is a `UserError`
that says which file and, for a bad cell, which line and column.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch

from mlang.runtime.notes import note
from mlang.support.diagnostics import UserError
from mlang.support.language_options import BUILTIN_DATASETS
from mlang.support.records import field_mismatch

# The largest magnitude an f32 holds; a value beyond it would become infinity.
_F32_MAX = float(np.finfo(np.float32).max)
# Integral labels become i64 class ids only while f64 holds them exactly (|v| <= 2**53);
# larger ones (1e23) stay numbers (f32), never wrap around to -9223372036854775808.
_EXACT_INTEGERS = 2.0**53


Record = dict[str, torch.Tensor]
"""A record: named tensors (`input_ids`, `attention_mask`, ...) of equal row counts."""
Features = torch.Tensor | Record
"""A data set's features, or a batch of them: one tensor, or a record."""
Rows = slice | torch.Tensor
"""Which rows to take: a slice, or a tensor of row indices."""


def take_rows(features: Features, index: Rows) -> Features:
    """Some rows of features, every field of a record at the same rows."""
    if isinstance(features, torch.Tensor):
        return features[index]
    return {name: t[index] for name, t in features.items()}


def row_count(features: Features) -> int:
    """The number of rows of features (of a record's first field; a 0-d tensor has 0)."""
    first = features if isinstance(features, torch.Tensor) else next(iter(features.values()))
    return first.shape[0] if first.dim() else 0


def record_arguments(record: Record, params: Sequence[str], method: str) -> list[torch.Tensor]:
    """The fields of a record that `method` takes, in the order of its `params`."""
    why = field_mismatch(list(record), params, method)
    if why is not None:
        raise UserError(why)
    return [record[name] for name in params]


@dataclass(frozen=True, eq=False)
class Column:
    """One column of a table: f32 `numbers`; or `text` (a pyarrow string array, which holds
    millions of cells without a Python object each) with its classes (sorted) and each
    row's class index in `numbers` (i64)."""

    name: str
    numbers: torch.Tensor
    text: pa.ChunkedArray | None = None
    classes: tuple[str, ...] = ()

    @staticmethod
    def of_strings(name: str, text: pa.ChunkedArray | list[str]) -> Column:
        """A text column; its classes are its distinct strings in sorted order."""
        text = pa.chunked_array([pa.array(text, pa.string())]) if isinstance(text, list) \
            else text
        distinct = pc.unique(text)
        classes = distinct.take(pc.array_sort_indices(distinct))
        index = pc.index_in(text, value_set=classes).to_numpy().astype(np.int64)
        return Column(name, torch.from_numpy(index), text, tuple(classes.to_pylist()))

    @property
    def strings(self) -> list[str] | None:
        """The cells of a text column as Python strings (None for numbers)."""
        return None if self.text is None else list(self.text.to_pylist())

    def __len__(self) -> int:
        return self.numbers.shape[0]

    def rows(self, index: Rows) -> Column:
        """The column's values at these rows (its classes unchanged)."""
        if self.text is None:
            return Column(self.name, self.numbers[index])
        picked = np.arange(len(self))[index] if isinstance(index, slice) else index.numpy()
        return Column(self.name, self.numbers[index], self.text.take(picked), self.classes)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features `x` and labels `y` (`[rows]`). When the features are a record (`tokenize`),
    `record` holds them and `x` is an empty `[rows, 0]`. `classes` names the labels when
    they were strings; `columns` are a table's columns; `categorical` lists the feature
    columns that hold classes (which `standardize` leaves alone); `labelled` is false for a
    table loaded with `target=none` (its `y` is then zeros)."""

    x: torch.Tensor
    y: torch.Tensor
    record: Record | None = None
    classes: tuple[str, ...] = ()
    columns: Mapping[str, Column] = field(default_factory=dict)
    categorical: tuple[int, ...] = ()
    labelled: bool = True

    def __len__(self) -> int:
        return self.y.shape[0]

    @property
    def features(self) -> int:
        """The number of feature columns (0 for a record)."""
        return self.x.shape[1]

    @property
    def inputs(self) -> Features:
        """The features: the record, or the tensor `x`."""
        return self.x if self.record is None else self.record

    def rows(self, index: Rows) -> Dataset:
        """The data set restricted to some rows, in that order (a record's fields alike)."""
        record = None if self.record is None else {k: v[index] for k, v in self.record.items()}
        columns = {name: c.rows(index) for name, c in self.columns.items()}
        return dataclasses.replace(self, x=self.x[index], y=self.y[index], record=record,
                                   columns=columns)

    def slice(self, lo: int | None, hi: int | None) -> Dataset:
        """Rows `lo:hi`, with Python's slice rules (negative and out-of-range bounds)."""
        return self.rows(slice(lo, hi))

    def column(self, name: str) -> Column:
        """The column `name` of a table."""
        if name in self.columns:
            return self.columns[name]
        if not self.columns:
            raise UserError(f"this data set has no columns (only a .csv or .jsonl file has); "
                            f"'{name}' is not one")
        raise UserError(f"the data set has no column '{name}'; its columns are "
                        + ", ".join(self.columns))


TEXT_DATASETS = ("tweets",)
"""The bundled data sets with a text column, read as `load` reads a table."""


def builtin_dataset(name: str) -> Dataset:
    """One of the data sets bundled with mlang, by name (`"digits"`, `"iris"`, ...)."""
    if name not in BUILTIN_DATASETS:
        known = ", ".join(f'"{n}"' for n in BUILTIN_DATASETS)
        raise UserError(f'unknown data set "{name}"; the bundled ones are {known}')
    file = resources.files("mlang.runtime").joinpath("data", f"{name}.csv")
    if name in TEXT_DATASETS:
        from mlang.runtime.tables import load_table  # tables builds on this module

        with resources.as_file(file) as path:
            return load_table(path, None, True, False)
    return _parse_csv(file.read_text(), f"{name}.csv", target=None)


def load_npz(path: Path, target: str | None) -> Dataset:
    """A data set from the arrays `x` and `y` of an `.npz` file."""
    if target is not None:
        raise UserError(f"target= applies to .csv files only (and .jsonl), not to '{path}'")
    return _load_npz(path)


def split(data: Dataset, fraction: float, seed: int = 0) -> tuple[Dataset, Dataset]:
    """`(first, rest)`: the rows shuffled by `seed`, `round(fraction * rows)` of them first."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        raise UserError(f"split fraction must be a number, got {fraction!r}")
    if not 0.0 < fraction < 1.0:
        raise UserError(f"split fraction must be between 0 and 1 (exclusive), got {fraction}")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    count = round(fraction * len(data))
    return data.rows(order[:count]), data.rows(order[count:])


def standardize(first: Dataset, *others: Dataset) -> tuple[Dataset, ...]:
    """Every data set with its numeric features scaled by `first`'s mean and deviation
    (a feature that does not vary is only centred); class features are left alone."""
    if first.record is not None:
        raise UserError("standardize scales numeric features; this data set's are a record")
    mean, std = first.x.mean(dim=0), first.x.std(dim=0, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    if first.categorical:
        keep = list(first.categorical)
        mean[keep], std[keep] = 0.0, 1.0
    out = []
    for data in (first, *others):
        if data.record is not None or data.x.shape[1:] != first.x.shape[1:]:
            raise UserError(f"standardize needs data sets of one feature shape, got "
                            f"{_feature_shape(first)} and {_feature_shape(data)}")
        out.append(dataclasses.replace(data, x=(data.x - mean) / std))
    return tuple(out)


def _feature_shape(data: Dataset) -> str:
    """A data set's feature shape, for messages."""
    if data.record is not None:
        return "a record"
    return str(list(data.x.shape[1:]))


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
    if x.ndim < 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise UserError(
            f"'{path}' must hold x of shape [rows, features...] and y of shape [rows], "
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
    return Dataset(x, label_tensor(labels, name))


def label_tensor(labels: np.ndarray, name: str) -> torch.Tensor:
    """Numeric labels as a tensor: i64 when all integral, else f32."""
    if _all_integral(labels):
        return torch.from_numpy(labels.astype(np.int64))
    whole = labels[np.isfinite(labels)]
    if whole.size and np.abs(whole).max() > _EXACT_INTEGERS and np.all(whole == np.floor(whole)):
        note(f"'{name}': label {np.abs(whole).max():.7g} is too large for a class id; "
             "the labels are kept as f32 numbers")
    return torch.from_numpy(labels.astype(np.float32))


def _all_integral(values: np.ndarray) -> bool:
    """True when every value is a whole number that an i64 (and an f64) holds exactly."""
    finite = np.all(np.isfinite(values)) and np.all(np.abs(values) <= _EXACT_INTEGERS)
    return bool(finite and np.all(values == np.floor(values)))
