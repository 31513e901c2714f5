"""`mrun serve` of packages that hold a tokenizer and class names, as a real process over
HTTP: `{"text": [...]}` in, the outputs of forward on the tokenized text and each row's
class name out; bad text payloads are 400s that name the field."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from mlang.backends import get_backend
from mlang.runtime.model_io import load_model
from mlang.runtime.text import tokenize
from test_serve import ENV, MRUN, Server, make_packages, start

PROGRAM = """\
model Bag(v: int, k: int) {
    emb = Embedding(v, 4)
    fc = Linear(4, k)
    fn forward(input_ids: i64[N, L], attention_mask: i64[N, L]) -> f32[N, k] {
        return fc(mean(emb(input_ids * attention_mask), 1))
    }
}
model Fixed(v: int) {
    emb = Embedding(v, 3)
    fn forward(ids: i64[N, 6]) -> f32[N, 3] { return mean(emb(ids), 1) }
}
seed(0)
let tok = train_tokenizer(["a good film", "a bad film", "good acting", "bad plot"], vocab=40)
let r = tokenize(tok, ["good"], max_len=8)
save(Bag(40, 2), "bag.mpk", tokenizer=tok, classes=["neg", "pos"])
save(Fixed(40), "fixed.mpk", tokenizer=tok)
save(Bag(40, 2), "wrong.mpk", classes=["a", "b", "c"])
"""
TEXTS = ["a good film", "bad", "", "Ünïcode and punctuation!"]


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_packages(tmp_path_factory.mktemp("serve-text"), PROGRAM)


@pytest.fixture(scope="module")
def server(packages: Path) -> Iterator[Server]:
    running = start(packages, "bag.mpk", "fixed.mpk", "--max-wait-ms", "20")
    yield running
    assert running.stop() == 0


def expected(packages: Path, name: str, length: int, fields: list[str]) -> torch.Tensor:
    """forward on the texts tokenized by the package's own tokenizer."""
    torch.set_num_threads(1)
    model = load_model(str(packages / name), get_backend("torch"), "cpu")
    assert model.tokenizer is not None
    record = tokenize(model.tokenizer, TEXTS, length)
    with torch.no_grad():
        out = model.call("forward", [record[f] for f in fields])[0]
    assert isinstance(out, torch.Tensor)
    return out


def test_models_say_they_take_text(server: Server) -> None:
    with server.client() as c:
        models = {m["name"]: m for m in c.get("/v1/models").json()["models"]}
    assert models["bag"]["text"] is True and models["bag"]["classes"] == ["neg", "pos"]
    assert models["fixed"]["text"] is True and models["fixed"]["classes"] is None


def test_text_in_outputs_and_class_names_out(server: Server, packages: Path) -> None:
    """The free length is the one the tokenizer was last used with (8, by `tokenize`)."""
    with server.client() as c:
        answer = c.post("/v1/models/bag/predict", json={"text": TEXTS})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    want = expected(packages, "bag.mpk", 8, ["input_ids", "attention_mask"])
    torch.testing.assert_close(torch.tensor(body["outputs"]), want)
    assert body["classes"] == [["neg", "pos"][i] for i in want.argmax(1).tolist()]


def test_a_declared_length_and_one_input_take_the_ids(server: Server, packages: Path) -> None:
    with server.client() as c:
        answer = c.post("/v1/models/fixed/predict", json={"text": TEXTS})
    assert answer.status_code == 200, answer.text
    assert "classes" not in answer.json()
    torch.testing.assert_close(torch.tensor(answer.json()["outputs"]),
                               expected(packages, "fixed.mpk", 6, ["input_ids"]))


@pytest.mark.parametrize(("body", "fragment"), [
    (b'{"text": "a good film"}', "text: expected a non-empty list of strings"),
    (b'{"text": []}', "text: expected a non-empty list of strings"),
    (b'{"text": ["ok", 3]}', "text: expected a non-empty list of strings"),
    (b'{"text": [["nested"]]}', "text: expected a non-empty list of strings"),
    (b'{"text": null}', "text: expected a non-empty list of strings"),
    (b'{"text": ["a"], "inputs": [[1]]}', "exactly one of the fields"),
])
def test_bad_text_is_a_400(server: Server, body: bytes, fragment: str) -> None:
    with server.client() as c:
        answer = c.post("/v1/models/bag/predict", content=body,
                        headers={"content-type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert fragment in answer.json()["error"]
        assert c.post("/v1/models/bag/predict", json={"text": ["ok"]}).status_code == 200


def test_classes_that_do_not_fit_the_output_are_refused(packages: Path) -> None:
    proc = subprocess.run([*MRUN, "serve", "wrong.mpk"], cwd=packages, env=ENV,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "model package 'wrong.mpk' holds 3 class names, but the first output of its " \
           "forward is f32[?, 2]" in proc.stderr
    assert "Traceback" not in proc.stderr
