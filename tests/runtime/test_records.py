"""Records everywhere: `fit`, `evaluate`, `predict`, `quantize(calibrate=)` and `split` of
data sets whose features are a record (`tokenize`) pass each field to the forward
parameter of its name; a parameter without a field, and a field of the wrong dtype or
shape, are errors naming the field, at compile time or before the first batch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mlang
import pytest
import torch
from mlang.runtime import training
from mlang.runtime.datasets import Dataset, split
from mlang.support.diagnostics import UserError
from test_host_programs import failure, mrun
from test_pretrained import save, tiny_bert
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

pytestmark = pytest.mark.usefixtures("one_thread")

TABLE = ("text,label\ngood fine day,pos\nbad awful day,neg\na good thing,pos\n"
         "the worst bad,neg\nfine good nice,pos\nawful terrible,neg\nnice good,pos\n"
         "bad bad,neg\n")

BAG = """\
model Bag(vocab: int, dim: int) {
    emb = Embedding(vocab, dim)
    fc = Linear(dim, 2)
    fn forward(input_ids: i64[N, T], attention_mask: i64[N, T]) -> f32[N, 2] {
        let m = unsqueeze(cast(attention_mask, f32), 2)
        return fc(sum(emb(input_ids) * m, axis=1) / sum(m, axis=1))
    }
}
"""

TOKENIZED = """\
let data = load("t.csv", target="label")
let tok = tokenizer("tok.json")
let t = tokenize(tok, data, column="text", max_len=8)
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with a small labelled text table and a WordPiece tokenizer of its words (a
    fixed vocabulary: `train_tokenizer` may number tokens differently in each process)."""
    (tmp_path / "t.csv").write_text(TABLE)
    words = sorted(set(" ".join(line.split(",")[0] for line in TABLE.splitlines()[1:]).split()))
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tok.save(str(tmp_path / "tok.json"))
    return tmp_path


def numbers(line: str) -> list[float]:
    """The numbers of a printed line."""
    return [float(v) for v in line.replace("[", " ").replace("]", " ").split()]


def test_fit_on_a_record_data_set_lowers_the_loss(folder: Path) -> None:
    out = mrun(folder, BAG + TOKENIZED + """\
seed(0)
let net = Bag(100, 8)
let (train, val) = split(t, 0.75)
print(evaluate(net, t, metric="loss"))
fit(net, train, epochs=30, batch=2, lr=0.05, val=val)
print(evaluate(net, t, metric="loss"))
print(shape(predict(net, tokenize(tok, ["good day", "bad day", "fine"], max_len=8))))
print(shape(predict(net, val)))
let q = quantize(net, "int8", mode="static", calibrate=t)
print(shape(predict(q, t)), evaluate(q, t) >= 0.0)
""", "torch")
    before, after, plain, rows, quantized = out.splitlines()
    assert numbers(after)[0] < numbers(before)[0] / 2
    assert plain == "[3, 2]"
    assert rows == "[2, 2]"
    assert quantized == "[8, 2] true"


def test_pretrained_bert_fine_tunes_on_tokenized_text(folder: Path) -> None:
    """pretrained(..., labels=2) of a tiny BertModel, fine-tuned with fit on tokenized text
    (its forward takes input_ids, attention_mask and token_type_ids)."""
    checkpoint = save(tiny_bert("BertModel", vocab_size=100), folder / "bert")
    out = mrun(folder, TOKENIZED + f"""\
seed(0)
let m = pretrained("{checkpoint}", labels=2)
print(evaluate(m, t, metric="loss"))
fit(m, t, epochs=8, batch=4, lr=0.003)
print(evaluate(m, t, metric="loss"))
print(evaluate(m, t))
print(shape(predict(m, tokenize(tok, ["good day", "bad day"], max_len=8))))
""", "torch")
    before, after, accuracy, shape = out.splitlines()
    assert numbers(after)[0] < numbers(before)[0]
    assert 0.0 <= numbers(accuracy)[0] <= 1.0
    assert shape == "[2, 2]"


@pytest.mark.parametrize(("forward", "message"), [
    ("fn forward(input_ids: i64[N, T], mask: i64[N, T]) -> f32[N, 2]",
     ("prog.m:11:18: error: forward's parameter 'mask' has no field of that name in the "
      "record; its fields are input_ids, attention_mask, token_type_ids")),
    ("fn forward(input_ids: i64[N, T], attention_mask: f32[N, T]) -> f32[N, 2]",
     ("prog.m:11:18: error: the record's field 'attention_mask' (forward's parameter "
      "'attention_mask') must be f32[N, 8], got i64[?, 8]")),
    ("fn forward(input_ids: i64[N, 5], attention_mask: i64[N, T]) -> f32[N, 2]",
     ("prog.m:11:18: error: the record's field 'input_ids' (forward's parameter "
      "'input_ids') must be i64[N, 5], got i64[?, 8]")),
    ("fn forward(input_ids: i64[N, T]) -> f32[N, 2]",
     ("prog.m:11:18: error: the record's field 'attention_mask' is not a parameter of "
      "forward (its parameters: input_ids)")),
])
def test_a_record_that_forward_cannot_take_is_a_located_error(folder: Path, forward: str,
                                                               message: str) -> None:
    source = f"""\
model Bag(vocab: int, dim: int) {{
    emb = Embedding(vocab, dim)
    fc = Linear(dim, 2)
    {forward} {{
        return fc(sum(emb(input_ids), axis=1))
    }}
}}
""" + TOKENIZED + "fit(Bag(100, 8), t, epochs=1)\n"
    assert message in failure(folder, source, "prog.m")


def test_a_record_predicted_in_the_host_is_checked_there_too(folder: Path) -> None:
    source = BAG.replace("attention_mask", "mask") + TOKENIZED + \
        'print(predict(Bag(100, 8), tokenize(tok, ["good"], max_len=4)))\n'
    assert ("prog.m:12:28: error: forward's parameter 'mask' has no field of that name in "
            "the record") in failure(folder, source, "prog.m")


@pytest.fixture
def bag() -> training.Trainable:
    """A compiled Bag model (the runtime's own checks, without the compiler's)."""
    instance: training.Trainable = mlang.compile(BAG, backend="torch").Bag(100, 8)._instance
    return instance


def record_data(**fields: torch.Tensor) -> Dataset:
    """A data set of four rows whose features are a record of `fields`."""
    return Dataset(torch.zeros(4, 0), torch.tensor([0, 1, 0, 1]), record=fields)


IDS = torch.tensor([[2, 3, 0], [4, 5, 6], [7, 0, 0], [8, 9, 0]])


def test_the_runtime_names_a_field_of_the_wrong_dtype(bag: training.Trainable) -> None:
    data = record_data(input_ids=IDS.float(), attention_mask=(IDS > 0).long())
    with pytest.raises(UserError, match=r"the record's field 'input_ids' is f32\[4, 3\], but "
                                        r"Bag.forward takes i64\[\?, \?\] for its parameter "
                                        "'input_ids'"):
        training.fit(bag, data, epochs=1)


def test_the_runtime_names_a_missing_field(bag: training.Trainable) -> None:
    with pytest.raises(UserError, match="Bag.forward's parameter 'attention_mask' has no "
                                        "field of that name in the record; its fields are "
                                        "input_ids$"):
        training.evaluate(bag, record_data(input_ids=IDS))


def test_token_type_ids_are_left_out_when_forward_does_not_take_them(
        bag: training.Trainable) -> None:
    data = record_data(input_ids=IDS, attention_mask=(IDS > 0).long(),
                       token_type_ids=torch.zeros_like(IDS))
    out = training.predict(bag, data)
    assert isinstance(out, torch.Tensor) and out.shape == (4, 2)
    torch.testing.assert_close(training.predict(bag, dict(data.record or {})), out)


def test_split_keeps_the_rows_of_every_field_together() -> None:
    rows = torch.arange(10)
    data = Dataset(torch.zeros(10, 0), rows, record={"a": rows[:, None] * 10,
                                                     "b": rows[:, None].repeat(1, 3)})
    first, rest = split(data, 0.6, seed=3)
    for part in (first, rest):
        assert part.record is not None
        assert torch.equal(part.record["a"][:, 0], part.y * 10)
        assert torch.equal(part.record["b"], part.y[:, None].repeat(1, 3))
    assert sorted(first.y.tolist() + rest.y.tolist()) == rows.tolist()


def test_two_processes_train_a_record_data_set_as_one(folder: Path) -> None:
    """`mrun --nproc 2` on a record data set: the same weights and output as one process."""
    program = BAG + TOKENIZED + """\
seed(0)
let net = Bag(100, 8)
fit(net, t, epochs=3, batch=3, lr=0.05)
print(evaluate(net, t, metric="loss"))
print(predict(net, t))
"""
    (folder / "prog.m").write_text(program)
    outputs = []
    for nproc in ("1", "2"):
        proc = subprocess.run([sys.executable, "-m", "mlang.run", "--nproc", nproc, "prog.m"],
                              check=False, cwd=folder, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    one, two = ([numbers(line) for line in out.splitlines()] for out in outputs)
    for a, b in zip(one, two, strict=True):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5)

