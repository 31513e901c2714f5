"""Tables with text and categorical columns (.csv, .jsonl), image folders, `.npz` features of
any rank, and `standardize`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mlang.runtime.datasets import standardize
from mlang.runtime.loading import load_dataset
from mlang.support.diagnostics import UserError

CUSTOMERS = (
    'name,city,age,label\n'
    '"Smith, Jane",paris,31,churn\n'
    'Zoë Ångström,"new york",45,stay\n'
    '"He said ""hi""",paris,27,stay\n'
    'Ébène,,52,churn\n'
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_keeps_text_and_categorical_columns(tmp_path: Path) -> None:
    data = load_dataset(write(tmp_path, "c.csv", CUSTOMERS), target="label")
    assert data.classes == ("churn", "stay") and data.y.tolist() == [0, 1, 1, 0]
    assert data.column("name").strings == ["Smith, Jane", "Zoë Ångström", 'He said "hi"',
                                           "Ébène"]
    city = data.column("city")
    assert city.classes == ("", "new york", "paris")  # an empty text cell is ""
    assert city.numbers.tolist() == [2, 1, 2, 0]
    assert data.x[:, 1].tolist() == [2, 1, 2, 0] and data.x[:, 2].tolist() == [31, 45, 27, 52]
    assert data.categorical == (0, 1)


def test_one_hot_columns(tmp_path: Path) -> None:
    data = load_dataset(write(tmp_path, "c.csv", "city,n,y\nb,1,0\na,2,1\nb,3,0\n"),
                        one_hot=True)
    assert data.x.tolist() == [[0, 1, 1], [1, 0, 2], [0, 1, 3]]
    assert data.categorical == (0, 1)


def test_jsonl_equals_csv(tmp_path: Path) -> None:
    rows = [{"text": "a, b", "n": 1.5, "label": "x"}, {"text": "ü", "n": 2, "label": "y"}]
    path = write(tmp_path, "d.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    data = load_dataset(path, target="label")
    assert data.column("text").strings == ["a, b", "ü"] and data.classes == ("x", "y")
    assert data.x[:, 1].tolist() == [1.5, 2.0]
    missing = write(tmp_path, "m.jsonl", '{"a": 1, "y": 0}\n{"a": null, "y": 1}\n')
    with pytest.raises(UserError, match="line 2, column 'a': missing value"):
        load_dataset(missing)


def test_target_none_and_missing_target(tmp_path: Path) -> None:
    path = write(tmp_path, "new.csv", "a,b\n1,2\n3,4\n")
    data = load_dataset(path, labelled=False)
    assert data.x.tolist() == [[1, 2], [3, 4]] and not data.labelled
    with pytest.raises(UserError, match="has no column 'label'; its columns are a, b"):
        load_dataset(path, target="label")


def test_text_after_the_first_block_rereads_the_column(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 2}\n" for i in range(200_000))
    data = load_dataset(write(tmp_path, "late.csv", "a,y\n" + rows + "paris,1\n"))
    assert data.column("a").classes[-1] == "paris" and len(data) == 200_001


def test_numbers_too_large_for_f32(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="line 2, column 'a': 1e39 is too large for f32"):
        load_dataset(write(tmp_path, "big.csv", "a,y\n1e39,0\n"))


def test_npz_features_of_any_rank(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((3, 2, 4, 5)), y=np.arange(3))
    assert load_dataset(path).x.shape == (3, 2, 4, 5)


def test_standardize_by_the_first_data_set(tmp_path: Path) -> None:
    train = load_dataset(write(tmp_path, "t.csv", "c,n,y\na,1,0\nb,3,1\n"))
    test = load_dataset(write(tmp_path, "s.csv", "c,n,y\nb,5,0\na,1,1\n"))
    scaled_train, scaled_test = standardize(train, test)
    assert scaled_train.x.tolist() == [[0, -1], [1, 1]]  # class column c left alone
    assert scaled_test.x.tolist() == [[1, 3], [0, -1]]
    with pytest.raises(UserError, match="one feature shape"):
        standardize(train, load_dataset(write(tmp_path, "w.csv", "n,y\n1,0\n")))


def make_images(root: Path) -> None:
    for label, color in (("cat", (255, 0, 0)), ("dog", (0, 0, 255))):
        (root / label).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (7 + i, 5), color).save(root / label / f"{i}.png")


def test_image_folder(tmp_path: Path) -> None:
    make_images(tmp_path / "photos")
    data = load_dataset(tmp_path / "photos", size=[4, 6])
    assert data.x.shape == (4, 3, 4, 6) and data.x.dtype == torch.float32
    assert data.classes == ("cat", "dog") and data.y.tolist() == [0, 0, 1, 1]
    assert data.x[0, 0].min() == 1.0 and data.x[0, 2].max() == 0.0
    assert data.x[3, 2].min() == 1.0


def test_image_folder_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="has no sub-folders"):
        load_dataset(tmp_path / "empty", size=[4, 4])
    with pytest.raises(UserError, match="needs size=\\[H, W\\]"):
        load_dataset(tmp_path / "empty")
    (tmp_path / "empty" / "cat").mkdir()
    with pytest.raises(UserError, match="holds no images"):
        load_dataset(tmp_path / "empty", size=[4, 4])
    (tmp_path / "empty" / "cat" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(UserError, match="cannot read the image .*bad.png"):
        load_dataset(tmp_path / "empty", size=[4, 4])
