"""Tables: `.csv` and `.jsonl` files read column by column into a `Dataset`.

pyarrow reads the files: its CSV reader streams a file in blocks (so a 1 GB file never sits
in memory as text or as Python objects), handles quoting, and reports the row of a bad
line. Each block's numeric columns become f32 at once; non-numeric columns keep their
strings. A column is numeric when pyarrow parses every cell of it as a number; when a later
block holds text in a column that looked numeric, the file is read again with that column
as text.

Missing values: an empty cell (a JSON `null`) in a numeric column is an error naming its
row and column; in a text column it is the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import torch

from mlang.runtime.datasets import Column, Dataset, label_tensor
from mlang.runtime.notes import note
from mlang.support.diagnostics import UserError

# The largest magnitude an f32 holds; a value beyond it would become infinity.
_F32_MAX = float(np.finfo(np.float32).max)
_BLOCK = 1 << 24  # bytes per block: large enough to be fast, small enough to stream
_COLUMN_IN_ERROR = re.compile(r"In CSV column #(\d+)")
_RAGGED_ROW = re.compile(r"Row #(\d+): Expected (\d+) columns, got (\d+)")


def load_table(path: Path, target: str | None, labelled: bool, one_hot: bool) -> Dataset:
    """A data set from a `.csv` or `.jsonl` file: `target` (default the last column) is the
    label unless `labelled` is false; every other column is a feature."""
    if path.stat().st_size == 0:
        raise UserError(f"'{path}' is empty; expected a header row and data rows")
    columns = read_columns(path)
    names = list(columns)
    rows = len(next(iter(columns.values()))) if columns else 0
    if rows == 0:
        raise UserError(f"'{path}' has a header but no data rows")
    _note_cut_short(path, rows)
    if not labelled:
        return _dataset(columns, names, None, one_hot, rows)
    if target is not None and target not in columns:
        raise UserError(f"'{path}' has no column '{target}'; its columns are {', '.join(names)}")
    if len(names) < 2:
        raise UserError(f"'{path}' needs at least one feature column and a target column "
                        "(target=none loads features only)")
    label = target if target is not None else names[-1]
    return _dataset(columns, [n for n in names if n != label], columns[label], one_hot, rows)


def _note_cut_short(path: Path, rows: int) -> None:
    """Notes a CSV file whose last line lacks its line break (a copy cut short)."""
    with path.open("rb") as file:
        file.seek(-1, 2)
        if path.suffix == ".csv" and file.read(1) not in (b"\n", b"\r"):
            note(f"'{path}' does not end with a line break: its last row (line {rows + 1}) "
                 "may be cut short")


def _dataset(columns: dict[str, Column], features: list[str], label: Column | None,
             one_hot: bool, rows: int) -> Dataset:
    """Features in file order (a category as its index or one-hot) and the label column."""
    widths = [len(columns[n].classes) if one_hot and columns[n].classes else 1 for n in features]
    x = np.zeros((rows, sum(widths)), dtype=np.float32)  # filled in place: one copy in memory
    categorical: list[int] = []
    at = 0
    for name, width in zip(features, widths):
        column = columns[name]
        if one_hot and column.classes:
            x[np.arange(rows), at + column.numbers.numpy()] = 1.0
        else:
            x[:, at] = column.numbers.numpy()
        if column.classes:
            categorical.extend(range(at, at + width))
        at += width
    features_x = torch.from_numpy(x)
    if label is None:
        return Dataset(features_x, torch.zeros(rows, dtype=torch.int64), columns=columns,
                       categorical=tuple(categorical), labelled=False)
    y = label.numbers if label.classes else label_tensor(label.numbers.double().numpy(),
                                                           label.name)
    return Dataset(features_x, y, classes=label.classes, columns=columns,
                   categorical=tuple(categorical))


# ---------------------------------------------------------------------------- reading


def read_columns(path: Path) -> dict[str, Column]:
    """Every column of a `.csv` or `.jsonl` file, by name, in file order."""
    text: set[str] = set()
    while True:
        try:
            return _columns(path, _batches(path, text))
        except _TextColumn as found:
            text.add(found.column)


class _TextColumn(Exception):
    """A later block holds text in a column that the first block showed as numbers."""

    def __init__(self, column: str):
        super().__init__(column)
        self.column = column


def _csv_reader(path: Path, convert: pa_csv.ConvertOptions,
                threads: bool) -> Iterator[pa.RecordBatch]:
    """pyarrow's streaming CSV reader (with one thread, its errors name the line)."""
    read = pa_csv.ReadOptions(use_threads=threads, block_size=_BLOCK, encoding="utf8")
    parse = pa_csv.ParseOptions(newlines_in_values=True)
    reader: Iterator[pa.RecordBatch] = pa_csv.open_csv(
        path, read_options=read, parse_options=parse, convert_options=convert)
    return reader


def _batches(path: Path, text: set[str], threads: bool = True) -> Iterator[pa.RecordBatch]:
    """The file's blocks; the columns named in `text` are read as strings."""
    try:
        if path.suffix == ".jsonl":
            table = pa_json.read_json(path, read_options=pa_json.ReadOptions(block_size=_BLOCK))
            yield from table.to_batches()
            return
        convert = pa_csv.ConvertOptions(
            null_values=[""], strings_can_be_null=False, timestamp_parsers=[],
            column_types={name: pa.string() for name in text})
        yield from _csv_reader(path, convert, threads)
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read '{path}': {err}") from None


def _text_column(err: pa.ArrowInvalid, names: list[str], path: Path) -> _TextColumn:
    """The column a CSV conversion error is about; any other error is the user's."""
    found = _COLUMN_IN_ERROR.search(str(err))
    if found is None or "conversion error" not in str(err) or not names:
        raise _read_error(path, err) from None
    return _TextColumn(names[int(found.group(1))])


def _read_error(path: Path, err: Exception) -> UserError:
    """A pyarrow error in words that name the file (pyarrow's `Row #N` is the file's line)."""
    if "CSV parse error" in str(err) and "Row #" not in str(err):
        try:  # read again with one thread, which locates the row
            for _ in _batches(path, set(), threads=False):
                pass
        except pa.ArrowInvalid as located:
            if "Row #" in str(located):
                err = located
    if ragged := _RAGGED_ROW.search(str(err)):
        line, header, cells = ragged.groups()
        return UserError(f"'{path}' line {line} has {cells} cells but the header has {header}")
    message = str(err).replace("CSV parse error: ", "").replace("Row #", "line ")
    return UserError(f"'{path}': {message}")


def _columns(path: Path, batches: Iterator[pa.RecordBatch]) -> dict[str, Column]:
    """Collects the blocks column by column: numbers as f32, anything else as strings."""
    parts: dict[str, list[np.ndarray | pa.Array]] = {}
    rows, header = 0, 1 if path.suffix == ".jsonl" else 2
    try:
        for batch in batches:
            for name, array in zip(batch.schema.names, batch.columns):
                parts.setdefault(name, []).append(_cells(array, name, header + rows, path))
            rows += batch.num_rows
    except pa.ArrowInvalid as err:
        raise _text_column(err, list(parts), path) from None
    return {name: _column(name, chunks) for name, chunks in parts.items()}


def _cells(array: pa.Array, name: str, first: int, path: Path) -> np.ndarray | pa.Array:
    """One block of a column, whose first cell is on line `first` (when no cell spans
    lines): f32 numbers, or strings."""
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind):
        # `true`/`false` cells are two classes, as text; a JSON null is the empty string
        return pc.fill_null(array.cast(pa.string()), "")
    if pa.types.is_binary(kind):
        raise UserError(f"cannot read '{path}': column '{name}' is not UTF-8 text")
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_null(kind)):
        raise UserError(f"'{path}' column '{name}' holds {kind} values; expected numbers "
                        "or text")
    if array.null_count:
        line = first + int(array.is_null().to_numpy(zero_copy_only=False).argmax())
        raise UserError(f"'{path}' line {line}, column '{name}': missing value (fill or drop "
                        "missing values before loading)")
    values = array.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    too_large = np.isfinite(values) & (np.abs(values) > _F32_MAX)
    if too_large.any():
        at = int(too_large.argmax())
        value = f"{values[at]:.7g}".replace("e+", "e")
        raise UserError(f"'{path}' line {first + at}, column '{name}': {value} is too large "
                        f"for f32 (at most {_F32_MAX:.7g})")
    return values.astype(np.float32)


def _column(name: str, chunks: list[np.ndarray | pa.Array]) -> Column:
    """A column from its blocks (all numbers, or all strings)."""
    if all(isinstance(c, np.ndarray) for c in chunks):
        return Column(name, torch.from_numpy(np.concatenate(chunks)))
    return Column.of_strings(name, pa.chunked_array(chunks, pa.string()))
