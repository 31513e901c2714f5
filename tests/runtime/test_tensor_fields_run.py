"""`param`, `buffer` and `tie` at run time, on the reference and torch backends: a tied
pair is one tensor in training, in `save` and `load_model`, and in `load_weights` (a file
with either name loads); a buffer is saved but never trained."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from mlang.runtime.packages import load_package
from test_host_programs import BACKENDS, failure, invoke, mrun, run_both

pytestmark = pytest.mark.usefixtures("one_thread")

TIED = """\
model T() {
    enc = Linear(4, 3)
    dec = Linear(4, 3, bias=false)
    tie dec.weight = enc.weight
    buffer shift: f32[3] = full([3], 0.5)
    param gain: f32[3] = ones([3])
    fn forward(x: f32[N, 4]) -> f32[N, 3] { return (enc(x) + dec(x)) * gain + shift }
}
seed(0)
let data = dataset("iris")
let t = T()
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_tied_model_trains_one_tensor_and_saves_it_once(tmp_path: Path, backend: str) -> None:
    out = mrun(tmp_path, TIED + """\
fit(t, data, epochs=2, lr=0.05)
save(t, "t.mpk")
let back = load_model("t.mpk")
print(params(t), max(abs(t(data.x) - back(data.x))))
""", backend)
    assert out.split() == ["18", "0.0"], out  # enc 12 + 3, gain 3; the buffer and the tie: none
    _, tensors, _ = load_package(str(tmp_path / "t.mpk"))
    assert "dec.weight" not in tensors and "enc.weight" in tensors
    assert torch.equal(tensors["shift"], torch.full((3,), 0.5))  # a buffer is not trained
    assert not torch.equal(tensors["gain"], torch.ones(3))


@pytest.mark.parametrize("name", ["enc.weight", "dec.weight"])
def test_a_file_with_either_tied_name_loads(tmp_path: Path, name: str) -> None:
    w = torch.arange(12.0).reshape(3, 4) / 10
    save_file({name: w, "enc.bias": torch.zeros(3), "shift": torch.zeros(3),
               "gain": torch.ones(3)}, str(tmp_path / "w.safetensors"))
    out = run_both(tmp_path, TIED + """\
load_weights(t, "w.safetensors")
print(t(ones([1, 4])))
""")
    want = 2 * (torch.ones(1, 4) @ w.T)
    got = torch.tensor([float(v) for v in out.replace("[", " ").replace("]", " ").split()])
    assert torch.allclose(got, want.flatten())


def test_strict_false_reports_the_rest_in_one_note(tmp_path: Path) -> None:
    save_file({"enc.weight": torch.ones(3, 4), "extra": torch.ones(2)},
              str(tmp_path / "w.safetensors"))
    for backend in BACKENDS:
        result = invoke(tmp_path, TIED + 'load_weights(t, "w.safetensors", strict=false)\n',
                        backend)
        assert result.exit_code == 0, result.output
        notes = [line for line in result.stderr.splitlines() if "note:" in line]
        assert len(notes) == 1, result.stderr
        assert "weight 'enc.bias' is missing from the file" in notes[0]
        assert "the file has a weight 'extra' that the model does not have" in notes[0]


def test_keyword_fields_run(tmp_path: Path) -> None:
    """Fields named `model`, `self` and `in` run alike on both backends, called in methods
    and from the host (`m.model`)."""
    out = run_both(tmp_path, """\
model Inner(dim: int) {
    self = Linear(dim, dim)
    fn forward(x: f32[N, dim]) -> f32[N, dim] { return self(x) + self.bias }
}
model Outer(dim: int) {
    model = Inner(dim)
    in = Linear(dim, dim)
    fn forward(x: f32[N, dim]) -> f32[N, dim] { return model(in(x)) + model.self.weight[0] }
}
seed(0)
let m = Outer(3)
print(m(ones([1, 3])), m.model(ones([1, 3])), m.model.self(ones([1, 3])))
""")
    assert out.count("[[") == 3


def test_field_without_parameters_is_an_error(tmp_path: Path) -> None:
    save_file({"w": torch.ones(1)}, str(tmp_path / "w.safetensors"))
    out = failure(tmp_path, """\
model M() {
    act = Dropout(0.1)
    fc = Linear(2, 2)
    fn forward(x: f32[N, 2]) -> f32[N, 2] { return fc(act(x)) }
}
let m = M()
load_weights(m.act, "w.safetensors")
""", "f.m")
    assert "f.m:7:1: error: load_weights: the model has no field 'act' with parameters" in out


def test_quantize_keeps_a_tie_one_tensor(tmp_path: Path) -> None:
    """An embedding tied to the head it feeds: quantize makes one int8 tensor of the two,
    saved once and tied again by load_model."""
    out = run_both(tmp_path, """\
model T() {
    wte = Embedding(5, 4)
    lm_head = Linear(4, 5, bias=false)
    tie lm_head.weight = wte.weight
    fn forward(ids: i64[N]) -> f32[N, 5] { return lm_head(wte(ids)) }
}
seed(0)
let t = T()
let q = quantize(t, "int8")
save(q, "q.mpk")
let ids = tensor([1, 2, 4])
print(max(abs(q(ids) - t(ids))) < 0.1, max(abs(load_model("q.mpk")(ids) - q(ids))))
""")
    assert out.split() == ["True", "0.0"], out
    _, tensors, _ = load_package(str(tmp_path / "q.mpk"))
    assert "lm_head.weight" not in tensors and tensors["wte.weight"].dtype == torch.int8
