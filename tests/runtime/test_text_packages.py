"""Packages that keep their tokenizer and class names (`save(model, PATH, tokenizer=,
classes=)`), read back by `load_model` in M and in Python; predictions as class names
(a list indexed by a tensor of indices); damaged tokenizers and classes in a package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import safetensors.torch
import torch

import mlang
from mlang.runtime.packages import compress_text, load_package
from test_host_programs import failure, mrun

TABLE = "text,label\nthe film was good,pos\na bad film,neg\ngood acting,pos\nbad plot,neg\n"
MODEL = """\
model Bag(v: int, k: int) {
    emb = Embedding(v, 4)
    fc = Linear(4, k)
    fn forward(input_ids: i64[N, L]) -> f32[N, k] { return fc(mean(emb(input_ids), 1)) }
}
"""
SAVE = MODEL + """\
seed(0)
let data = load("t.csv", target="label")
let tok = train_tokenizer(data.text, vocab=40)
save(Bag(40, 2), "bag.mpk", tokenizer=tok, classes=data.classes)
save(Bag(40, 2), "plain.mpk")
print(tokenize(tok, ["a good plot"], max_len=6).input_ids)
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding `bag.mpk` (with a tokenizer and classes) and `plain.mpk`."""
    path = tmp_path_factory.mktemp("textpack")
    (path / "t.csv").write_text(TABLE)
    (path / "ids.txt").write_text(mrun(path, SAVE, "torch"))
    return path


def test_load_model_gives_back_the_tokenizer_and_classes(folder: Path) -> None:
    out = mrun(folder, """\
let m = load_model("bag.mpk")
print(tokenize(m.tokenizer, ["a good plot"], max_len=6).input_ids)
print(m.classes, m.classes[1])
save(quantize(m, "int8"), "again.mpk")
let again = load_model("again.mpk")
print(again.classes, decode(again.tokenizer, tokenize(again.tokenizer, ["good film"]).input_ids))
""", "torch")
    ids, classes, again = out.splitlines()[:3]
    assert ids == (folder / "ids.txt").read_text().strip()
    assert classes == "[neg, pos] pos"
    assert again == "[neg, pos] [good film]"


def test_predictions_as_class_names(folder: Path) -> None:
    """`data.classes[argmax(p, 1)]`: a list of names, one per row; a 0-d index gives one;
    a literal list takes a run-time index too."""
    out = mrun(folder, """\
let m = load_model("bag.mpk")
let p = predict(m, tokenize(m.tokenizer, ["good", "bad", "fine"], max_len=5).input_ids)
let best = argmax(p, 1)
let names = m.classes[best]
print(len(names), names[0] == "neg" or names[0] == "pos")
print(["no", "yes"][argmax(p, 1)])
let known = argmax(ones([2, 3]), 1)
print(m.classes[known], m.classes[known[0]])
""", "torch")
    lines = out.splitlines()
    assert lines[0] == "3 true"
    assert lines[1].startswith("[") and lines[1].count("no") + lines[1].count("yes") == 3
    assert lines[2] == "[neg, neg] neg"


def test_a_tensor_of_unknown_rank_must_be_one_dimensional(folder: Path) -> None:
    out = failure(folder, """\
let m = load_model("bag.mpk")
let p = predict(m, tokenize(m.tokenizer, ["good"], max_len=5).input_ids)
print(m.classes[argmax(p, 1)[0]])
""", "rank.m")
    assert "rank.m:3:7: error: a list is indexed by a tensor of rank 1, not i64[]" in out


def test_an_index_out_of_range_is_located(folder: Path) -> None:
    out = failure(folder, """\
let names = ["a", "b"]
print(names[argmax(ones([2, 3]), 1) + 2])
""", "range.m")
    assert "range.m:2:7: error: index 2 is out of range for length 2" in out


def test_a_package_without_them_is_a_located_error(folder: Path) -> None:
    out = failure(folder, 'let m = load_model("plain.mpk")\nprint(m.classes)\n', "none.m")
    assert "none.m:2:7: error: model Bag has no classes: it was not saved with one " \
           "(save(model, PATH, classes=data.classes))" in out
    out = failure(folder, 'let m = load_model("plain.mpk")\nlet t = m.tokenizer\n', "tok.m")
    assert "tok.m:2:9: error: model Bag has no tokenizer" in out


def test_python_api(folder: Path, tmp_path: Path) -> None:
    model = mlang.load_model(folder / "bag.mpk")
    assert model.classes == ["neg", "pos"]
    assert model.tokenizer is not None
    ids = model.tokenizer.encode("a good plot").ids
    assert model(torch.tensor([ids])).shape == (1, 2)
    assert mlang.load_model(folder / "plain.mpk").tokenizer is None
    model.save(tmp_path / "copy.mpk", classes=["bad", "good"])
    copy = mlang.load_model(tmp_path / "copy.mpk")
    assert copy.classes == ["bad", "good"]
    assert copy.tokenizer is not None and copy.tokenizer.to_str() == model.tokenizer.to_str()


def forged(folder: Path, tmp_path: Path, **fields: str) -> Path:
    """`bag.mpk` with metadata fields replaced and a valid checksum (a package written by
    another tool, or damaged before its checksum was made)."""
    from mlang.runtime.packages import _digest

    ir, tensors, metadata = load_package(folder / "bag.mpk")
    header = {**metadata, "format": "mlang-package", "version": "2",
              "ir": compress_text(ir), **fields}
    header["sha256"] = _digest(header, tensors)
    path = tmp_path / "forged.mpk"
    safetensors.torch.save_file(tensors, path, metadata=header)
    return path


def test_a_truncated_tokenizer_is_a_located_error(folder: Path, tmp_path: Path) -> None:
    tokenizer = mlang.load_model(folder / "bag.mpk").tokenizer
    assert tokenizer is not None
    text = tokenizer.to_str()
    forged(folder, tmp_path, tokenizer=compress_text(text[: len(text) // 2]))
    out = failure(tmp_path, 'let m = load_model("forged.mpk")\n', "cut.m")
    assert "cut.m:1:9: error: the tokenizer.json in model package 'forged.mpk' line 1, " \
           "column" in out
    assert "is the file cut short?" in out


def test_a_tokenizer_of_another_format_is_a_located_error(folder: Path,
                                                          tmp_path: Path) -> None:
    forged(folder, tmp_path, tokenizer=compress_text('{"model": 3}'))
    out = failure(tmp_path, 'let m = load_model("forged.mpk")\n', "other.m")
    assert "other.m:1:9: error: the tokenizer.json in model package 'forged.mpk' is not a " \
           "tokenizer.json that the tokenizers library reads" in out


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tokenizer", "not base64!", "its tokenizer cannot be read"),
    ("classes", "[1, 2]", "its classes are not a JSON list of strings"),
    ("classes", "[\"a\"", "its classes are not a JSON list of strings"),
])
def test_damaged_metadata_is_an_error(folder: Path, tmp_path: Path, field: str, value: str,
                                      message: str) -> None:
    forged(folder, tmp_path, **{field: value})
    with pytest.raises(mlang.MError, match=message):
        mlang.load_model(tmp_path / "forged.mpk")


def test_classes_are_stored_as_json(folder: Path) -> None:
    """The package holds data, never code: the classes are a JSON list in the header."""
    metadata = load_package(folder / "bag.mpk")[2]
    assert json.loads(metadata["classes"]) == ["neg", "pos"]
