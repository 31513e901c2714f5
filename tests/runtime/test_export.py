"""`export(model, PATH)` and `Model.export`: ONNX checked against ONNX Runtime, `.pt2`
against `torch.export.load`, for an MLP, a CNN, a BERT-style encoder with an attention
mask and an int8 model; and the located errors of the built-in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

import mlang

pytestmark = pytest.mark.usefixtures("one_thread")

MODELS = """
model MLP(d: int, h: int, c: int) {
    fc1 = Linear(d, h)
    fc2 = Linear(h, c)
    fn forward(x: f32[N, d]) -> f32[N, c] {
        return fc2(relu(fc1(x)))
    }
}

model CNN(classes: int) {
    conv = Conv2d(1, 4, 3, padding=1)
    pool = MaxPool2d(2)
    flat = Flatten()
    head = Linear(64, classes)
    fn forward(x: f32[N, 1, 8, 8]) -> f32[N, classes] {
        return head(flat(pool(relu(conv(x)))))
    }
}

model Layer(dim: int, heads: int, hd: int, seq: int) {
    query = Linear(dim, dim)
    key = Linear(dim, dim)
    value = Linear(dim, dim)
    out = Linear(dim, dim)
    ln1 = LayerNorm(dim, eps=1e-12)
    up = Linear(dim, 4 * dim)
    down = Linear(4 * dim, dim)
    ln2 = LayerNorm(dim, eps=1e-12)
    fn forward(x: f32[N, seq, dim], bias: f32[N, 1, 1, seq]) -> f32[N, seq, dim] {
        let q = permute(reshape(query(x), [-1, seq, heads, hd]), [0, 2, 1, 3])
        let k = permute(reshape(key(x), [-1, seq, heads, hd]), [0, 2, 3, 1])
        let v = permute(reshape(value(x), [-1, seq, heads, hd]), [0, 2, 1, 3])
        let p = softmax(q @ k * 0.5 + bias)
        let a = reshape(permute(p @ v, [0, 2, 1, 3]), [-1, seq, dim])
        let h = ln1(x + out(a))
        return ln2(h + down(gelu(up(h))))
    }
}

model Bert(vocab: int, seq: int, dim: int, heads: int, depth: int) {
    word = Embedding(vocab, dim)
    position = Embedding(seq, dim)
    norm = LayerNorm(dim, eps=1e-12)
    layers = repeat(depth, Layer(dim, heads, 4, seq))
    fn forward(ids: i64[N, seq], mask: i64[N, seq]) -> f32[N, seq, dim] {
        let bias = reshape((1.0 - cast(mask, f32)) * -10000.0, [-1, 1, 1, seq])
        let h = norm(word(ids) + position(arange(seq)))
        for l in layers {
            h = l(h, bias)
        }
        return h
    }
}
"""


@pytest.fixture(scope="module")
def program() -> mlang.Program:
    return mlang.compile(MODELS, backend="torch")


def inputs(name: str) -> list[np.ndarray]:
    """A batch of 3 (the exports trace batches of 2: the batch size must be dynamic)."""
    rng = np.random.default_rng(0)
    if name == "MLP":
        return [rng.standard_normal((3, 4), dtype=np.float32)]
    if name == "CNN":
        return [rng.standard_normal((3, 1, 8, 8), dtype=np.float32)]
    ids = rng.integers(0, 20, (3, 6))
    mask = np.ones((3, 6), dtype=np.int64)
    mask[1, 4:] = 0  # padding: the masked positions must not change the others
    mask[2, 2:] = 0
    return [ids, mask]


def build(program: mlang.Program, name: str) -> mlang.Model:
    torch.manual_seed(0)
    args = {"MLP": (4, 8, 3), "CNN": (5,), "Bert": (20, 6, 8, 2, 2)}[name]
    return program.instantiate(name, *args)


@pytest.mark.parametrize("name", ["MLP", "CNN", "Bert"])
def test_onnx_runtime_gives_mlangs_numbers(program: mlang.Program, name: str,
                                           tmp_path: Path) -> None:
    model = build(program, name)
    path = tmp_path / f"{name}.onnx"
    model.export(path)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert proto.opset_import[0].version >= 17
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(session.get_inputs(), inputs(name))}
    got = session.run(None, feeds)[0]
    np.testing.assert_allclose(got, model(*inputs(name)), atol=1e-4, rtol=0)


def test_bert_mask_is_honoured_by_the_export(program: mlang.Program, tmp_path: Path) -> None:
    model = build(program, "Bert")
    model.export(tmp_path / "b.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "b.onnx"))
    ids, mask = inputs("Bert")
    changed = ids.copy()
    changed[1, 4:] = 7  # only masked tokens differ
    a, b = (session.run(None, {"input0": i, "input1": mask})[0] for i in (ids, changed))
    np.testing.assert_allclose(a[1, :4], b[1, :4], atol=1e-5)


@pytest.mark.parametrize("name", ["MLP", "Bert"])
def test_pt2_gives_mlangs_numbers(program: mlang.Program, name: str, tmp_path: Path) -> None:
    model = build(program, name)
    model.export(tmp_path / "m.pt2")
    loaded = torch.export.load(str(tmp_path / "m.pt2")).module()
    args = [torch.from_numpy(x) for x in inputs(name)]
    torch.testing.assert_close(loaded(*args), model(*args), atol=1e-5, rtol=0)


def test_int8_weight_model_exports_its_int8_weights(tmp_path: Path) -> None:
    path = tmp_path / "q.onnx"
    source = MODELS.split("model CNN")[0] + (
        f'seed(0)\nlet q = quantize(MLP(4, 8, 3), "int8")\n'
        f'write("{tmp_path}/y.safetensors", y=q(tensor([[0.5, -1.0, 2.0, 0.25]])))\n'
        f'export(q, "{path}")\n')
    (tmp_path / "q.m").write_text(source)
    mlang.run(tmp_path / "q.m", backend="torch")
    from safetensors.torch import load_file

    want = load_file(str(tmp_path / "y.safetensors"))["y"].numpy()
    session = onnxruntime.InferenceSession(str(path))
    got = session.run(None, {"input0": np.array([[0.5, -1.0, 2.0, 0.25]], np.float32)})[0]
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    types = [t.data_type for t in onnx.load(str(path)).graph.initializer]
    assert types.count(onnx.TensorProto.INT8) == 2  # the weights stay int8 in the file


def test_export_errors_are_located(tmp_path: Path) -> None:
    head = MODELS.split("model CNN")[0]
    cases = {
        'export(MLP(4, 8, 3), "m.txt")': "export writes .onnx or .pt2 files, not 'm.txt'",
        'let p = "m.bin"\nexport(MLP(4, 8, 3), p)': "export writes .onnx or .pt2 files",
        f'export(MLP(4, 8, 3), "{tmp_path}/no/such/m.onnx")': "cannot",
        'export(quantize(MLP(4, 8, 3), "int8", mode="dynamic"), "q.onnx")':
            'export takes int8 models of mode="weight" only',
    }
    for statements, message in cases.items():
        (tmp_path / "bad.m").write_text(head + statements + "\n")
        with pytest.raises(mlang.MError) as caught:
            mlang.run(tmp_path / "bad.m")
        assert message in caught.value.message
        assert caught.value.file == str(tmp_path / "bad.m")
        assert caught.value.line == head.count("\n") + statements.count("\n") + 1


def test_a_forward_that_fails_on_signature_inputs_is_refused(tmp_path: Path) -> None:
    source = """model Tokens(width: int) {
    fc = Linear(width, 2)
    fn forward(x: f32[N, features]) -> f32[N, 2] {
        return mean(fc(reshape(x, [-1, 3, width])), axis=1)
    }
}
export(Tokens(3), "t.onnx")
"""
    (tmp_path / "t.m").write_text(source)
    with pytest.raises(mlang.MError) as caught:
        mlang.run(tmp_path / "t.m")
    assert caught.value.line == 7
    assert "give those sizes in forward's signature" in caught.value.message
    model = mlang.compile(source).instantiate("Tokens", 3)
    model.export(tmp_path / "t.onnx", np.zeros((2, 9), np.float32))  # an example works
    session = onnxruntime.InferenceSession(str(tmp_path / "t.onnx"))
    x = np.arange(18, dtype=np.float32).reshape(2, 9)
    np.testing.assert_allclose(session.run(None, {"input0": x})[0], model(x), atol=1e-4)
