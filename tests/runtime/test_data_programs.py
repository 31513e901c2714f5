"""Text and tables in M programs: tokenizers, records, columns, classes, image folders and
standardize, with located errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from test_host_programs import failure, mrun

TABLE = 'text,city,n,label\n"a good, fine day",paris,1,pos\nbad day,rome,2,neg\nok,paris,3,pos\n'


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with a table and an image folder of two classes."""
    (tmp_path / "t.csv").write_text(TABLE)
    for label in ("a", "b"):
        (tmp_path / "img" / label).mkdir(parents=True)
        Image.new("RGB", (3, 3), (0, 255, 0)).save(tmp_path / "img" / label / "0.png")
    return tmp_path


def test_tokenize_columns_and_classes(folder: Path) -> None:
    out = mrun(folder, """\
let data = load("t.csv", target="label")
print(data.classes, data.city.classes, data.y)
let tok = train_tokenizer(data.text, vocab=50)
let r = tokenize(tok, ["a good day", "ok"], max_len=6)
print(r.attention_mask)
print(decode(tok, r.input_ids))
let t = tokenize(tok, data, column="text", max_len=4)
print(t.x.token_type_ids)
let (a, b) = standardize(data, data)
print(len(a), len(standardize(b)))
let photos = load("img", size=[2, 2])
print(len(photos), photos.classes, sum(photos.x))
let new = load("t.csv", target=none)
print(new.x)
""", "torch")
    lines = out.splitlines()
    assert lines[0] == "[neg, pos] [paris, rome] [1 0 1]"
    assert lines[1:3] == ["[[1 1 1 1 1 0]", " [1 1 1 0 0 0]]"]
    assert lines[3] == "[a good day, ok]"
    assert lines[4] == "[[0 0 0 0]"
    assert lines[7:] == ["3 3", "2 [a, b] 8.0", "[[0. 0. 1. 1.]", " [1. 1. 2. 0.]",
                         " [2. 0. 3. 1.]]"]


@pytest.mark.parametrize(("program", "message"), [
    ('let tok = tokenizer("nope")', "prog.m:1:11: error: no tokenizer at 'nope'"),
    ('let d = load("t.csv")\nprint(d.town)', "prog.m:2:7: error: the data set has no column "
                                             "'town'; its columns are text, city, n, label"),
    ('let d = load("t.csv")\nprint(d.n.classes)', "column 'n' holds numbers"),
    ('let d = load("img")', "needs size=[H, W]"),
    ('let d = load("t.csv", target="label")\nlet t = tokenize(tokenizer("x"), d)',
     "prog.m:2:9: error: tokenize of a data set needs column="),
    ('let t = tokenize(train_tokenizer(["a"], vocab=10), ["a"])\nprint(t.nope)',
     "prog.m:2:7: error: the record has no field 'nope'"),
    ('let t = tokenize(train_tokenizer(["a"], vocab=10), [1, 2])',
     "prog.m:1:52: error: the texts must be a list of strings or a data set's column"),
    ('let n = 1\nn = 0\nlet t = tokenize(train_tokenizer(["a"], vocab=10), ["a"], max_len=n)',
     "prog.m:3:9: error: max_len must be positive, got 0"),
])
def test_located_errors(folder: Path, program: str, message: str) -> None:
    assert message in failure(folder, program, "prog.m")


def test_a_forward_parameter_without_a_field_is_a_located_error(folder: Path) -> None:
    out = failure(folder, """\
model Net() {
    fc = Linear(4, 2)
    fn forward(x: f32[N, 4]) -> f32[N, 2] { return fc(x) }
}
let data = load("t.csv", target="label")
let t = tokenize(train_tokenizer(data.text, vocab=20), data, column="text", max_len=4)
fit(Net(), t)
""", "prog.m")
    assert ("prog.m:7:12: error: forward's parameter 'x' has no field of that name in the "
            "record; its fields are input_ids, attention_mask, token_type_ids") in out
