"""Bundled data sets, loading from .csv and .npz, slicing and splitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mlang.runtime.datasets import (
    BUILTIN_DATASETS,
    Dataset,
    builtin_dataset,
    split,
)
from mlang.runtime.loading import load_dataset
from mlang.support.diagnostics import UserError

SHAPES = {
    "digits": (1797, 64, 10),
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_classification_sets(name: str) -> None:
    rows, features, classes = SHAPES[name]
    data = builtin_dataset(name)
    assert data.x.shape == (rows, features) and data.x.dtype == torch.float32
    assert data.y.shape == (rows,) and data.y.dtype == torch.int64
    assert sorted(data.y.unique().tolist()) == list(range(classes))
    assert len(data) == rows


def test_diabetes_regression_targets() -> None:
    data = builtin_dataset("diabetes")
    assert data.x.shape == (442, 10)
    # Every target in the file is a whole number, so the labels come out as i64.
    assert data.y.dtype == torch.int64 and data.y[0].item() == 151


def test_builtin_names_are_listed() -> None:
    assert set(BUILTIN_DATASETS) == {*SHAPES, "diabetes", "tweets"}
    with pytest.raises(UserError, match='unknown data set "mnist".*"digits", "iris"'):
        builtin_dataset("mnist")


def test_tweets_keep_their_text_and_class_names() -> None:
    """The bundled text set: a text column and string labels, as `load` reads a CSV."""
    data = builtin_dataset("tweets")
    assert len(data) == 3432 and data.classes == ("negative", "positive")
    assert data.column("text").strings[3] == "LMAO, AMAZING!"
    assert data.y.sum().item() == 2345


def test_first_digit_row_matches_the_file() -> None:
    x = builtin_dataset("digits").x
    assert x[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


# ---------------------------------------------------------------------------- slicing


@pytest.mark.parametrize(
    ("lo", "hi"), [(0, 3), (2, None), (-3, None), (None, -8), (5, 100), (7, 2)]
)
def test_slice_follows_python(lo: int | None, hi: int | None) -> None:
    data = Dataset(torch.arange(20.0).reshape(10, 2), torch.arange(10))
    part = data.slice(lo, hi)
    assert part.y.tolist() == list(range(10))[lo:hi]
    assert part.x.shape == (len(part), 2)


# ---------------------------------------------------------------------------- split


def test_split_sizes_and_partition() -> None:
    data = Dataset(torch.arange(10.0).reshape(10, 1), torch.arange(10))
    first, rest = split(data, 0.75)
    assert (len(first), len(rest)) == (8, 2)  # round(7.5) is 8
    assert sorted(first.y.tolist() + rest.y.tolist()) == list(range(10))
    assert first.x[:, 0].long().equal(first.y)


def test_split_is_deterministic_per_seed_and_ignores_the_global_generator() -> None:
    data = builtin_dataset("iris")
    torch.manual_seed(1)
    a, _ = split(data, 0.8)
    torch.manual_seed(2)
    b, _ = split(data, 0.8)
    c, _ = split(data, 0.8, seed=5)
    assert len(a) == 120 and a.x.equal(b.x) and not a.x.equal(c.x)


@pytest.mark.parametrize("fraction", [0, 1, -0.2, 1.5, "half", True])
def test_split_rejects_bad_fractions(fraction: object) -> None:
    with pytest.raises(UserError, match="split fraction"):
        split(builtin_dataset("iris"), fraction)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- csv


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_csv_with_default_and_named_target(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,b,label\n1,2,0\n3,4.5,1\n\n")
    data = load_dataset(path)
    assert data.x.tolist() == [[1, 2], [3, 4.5]] and data.y.tolist() == [0, 1]
    by_name = load_dataset(str(path), target="a")
    assert by_name.x.tolist() == [[2, 0], [4.5, 1]]
    assert by_name.y.dtype == torch.int64


def test_float_targets_are_f32(tmp_path: Path) -> None:
    data = load_dataset(write(tmp_path, "r.csv", "x,y\n1,0.5\n2,3\n"))
    assert data.y.dtype == torch.float32 and data.y.tolist() == [0.5, 3.0]


CSV_ERRORS = [
    ("a,b\n1,2\n3,\n", "line 3, column 'b': missing value"),
    ("a,b\n1,2\n3,4,5\n", "line 3 has 3 cells but the header has 2"),
    ("a,b\n1\n", "line 2 has 1 cells"),
    ("", "is empty"),
    ("a,b\n", "no data rows"),
    ("a\n1\n2\n", "at least one feature column"),
]


@pytest.mark.parametrize(("text", "message"), CSV_ERRORS)
def test_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_dataset(write(tmp_path, "bad.csv", text))


def test_unknown_target_column(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,b\n1,2\n")
    with pytest.raises(UserError, match="has no column 'c'; its columns are a, b"):
        load_dataset(path, target="c")


def test_missing_file_and_bad_extension(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such data file"):
        load_dataset(tmp_path / "nope.csv")
    with pytest.raises(UserError, match="expected a .csv, .jsonl or .npz file"):
        load_dataset(write(tmp_path, "d.txt", "a,b\n1,2\n"))


def test_non_utf8_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"a,b\n\xff,1\n")
    with pytest.raises(UserError, match="cannot read"):
        load_dataset(path)


# ---------------------------------------------------------------------------- npz


def test_load_npz(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.arange(6).reshape(3, 2), y=np.array([0.0, 1.0, 2.0]))
    data = load_dataset(path)
    assert data.x.dtype == torch.float32 and data.x.shape == (3, 2)
    assert data.y.dtype == torch.int64 and data.y.tolist() == [0, 1, 2]


NPZ_ERRORS = [
    ({"x": np.zeros((3, 2))}, "lacks the array"),
    ({"x": np.zeros((3, 2)), "y": np.zeros(4)}, "must hold x of shape"),
    ({"x": np.zeros(3), "y": np.zeros(3)}, "must hold x of shape"),
    ({"x": np.array([["a", "b"]]), "y": np.zeros(1)}, "not numeric"),
]


@pytest.mark.parametrize(("arrays", "message"), NPZ_ERRORS)
def test_npz_errors(tmp_path: Path, arrays: dict[str, np.ndarray], message: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match=message):
        load_dataset(path)


def test_corrupt_npz_and_target_on_npz(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip archive")
    with pytest.raises(UserError, match="cannot read .* as an .npz archive"):
        load_dataset(path)
    np.savez(path, x=np.zeros((2, 2)), y=np.zeros(2))
    with pytest.raises(UserError, match="target= applies to .csv files only"):
        load_dataset(path, target="y")
