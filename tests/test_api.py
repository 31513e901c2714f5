"""`import mlang` (docs/PYTHON-API.md): compile, run, load_model, models on NumPy and
torch, to_torch, MError, and the document's own examples."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, StringAttr

import mlang
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_file

ROOT = Path(__file__).resolve().parents[1]
MLP = """model Mlp(d: int, c: int) {
    fc1 = Linear(d, 8)
    fc2 = Linear(8, c)
    fn forward(x: f32[N, d]) -> f32[N, c] {
        return fc2(relu(fc1(x)))
    }
    fn hidden(x: f32[N, d]) -> f32[N, 8] {
        return relu(fc1(x))
    }
}
"""
FEATURES = {"diabetes": 10, "digits": 64, "finetune": 64, "iris": 4, "quantize": 64,
            "transformer": 64}
"""The width of the inputs that each example's models take."""


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


def example_models(path: Path) -> list[tuple[str, list[int]]]:
    """The models that an example program instantiates, with their hyper-parameters."""
    models = []
    for op in compile_file(str(path)).ops:
        if not isinstance(op, DefOp):
            continue
        source, hparams = op.attributes["source"], op.attributes["hparams"]
        assert isinstance(source, StringAttr) and isinstance(hparams, DictionaryAttr)
        models.append((source.data, [v.value.data for v in hparams.data.values()
                                     if isinstance(v, IntegerAttr)]))
    return models


@pytest.mark.parametrize("example", sorted(FEATURES))
def test_every_example_model_gives_mruns_numbers(example: str, tmp_path: Path) -> None:
    path = ROOT / "examples" / f"{example}.m"
    for name, hparams in example_models(path):
        out = tmp_path / f"{name}.safetensors"
        args = ", ".join(map(str, hparams))
        (tmp_path / "p.m").write_text(
            f'import "{path}"\nseed(3)\nlet m = {name}({args})\n'
            f'let x = randn([5, {FEATURES[example]}], seed=1)\n'
            f'write("{out}", x=x, y=m(x))\n')
        mlang.run(tmp_path / "p.m")
        written = load_file(str(out))
        torch.manual_seed(3)
        model = getattr(mlang.compile(path), name)(*hparams)
        np.testing.assert_allclose(model(written["x"].numpy()), written["y"].numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_numpy_and_torch_batched_or_single() -> None:
    torch.manual_seed(0)
    model = mlang.compile(MLP).Mlp(4, 3)
    batch = np.random.default_rng(0).standard_normal((5, 4))  # float64, cast to f32
    out = model(batch)
    assert isinstance(out, np.ndarray) and out.shape == (5, 3) and out.dtype == np.float32
    np.testing.assert_allclose(model(batch[2]), out[2], rtol=1e-6)
    tensor = torch.from_numpy(batch).float()
    got = model(tensor)
    assert isinstance(got, torch.Tensor)
    torch.testing.assert_close(got, torch.from_numpy(out))
    assert model.hidden(batch).shape == (5, 8)
    assert model.call("hidden", batch[0].tolist()).shape == (8,)
    assert model.methods == ["forward", "hidden"]


def test_keywords_and_a_package_round_trip(tmp_path: Path) -> None:
    model = mlang.compile(MLP).Mlp(d=4, c=2)
    model.save(tmp_path / "m.mpk")
    loaded = mlang.load_model(tmp_path / "m.mpk", backend="reference")
    x = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-5, atol=1e-6)
    assert loaded.name == "Mlp" and loaded.parameter_count() == model.parameter_count()


def test_to_torch_trains_in_plain_pytorch_and_load_weights_reads_it_back(
        tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = mlang.compile(MLP).Mlp(4, 3)
    net = model.to_torch()
    assert isinstance(net, torch.nn.Module)
    assert list(net.state_dict()) == list(model.parameters())
    before = model.state_dict()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    net.train()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    optimizer.step()
    assert all(p.grad is not None for p in net.parameters())
    assert not torch.equal(before["fc1.weight"], net.state_dict()["fc1.weight"])
    torch.testing.assert_close(model.parameters()["fc1.weight"], net.fc1.weight.detach())
    torch.save(net.state_dict(), tmp_path / "w.pt")
    fresh = mlang.compile(MLP).Mlp(4, 3)
    fresh.load_weights(tmp_path / "w.pt")
    net.eval()
    torch.testing.assert_close(fresh(x), net(x).detach())
    torch.testing.assert_close(net.call("hidden", x), fresh.hidden(x))


def test_errors_are_merrors_with_locations(tmp_path: Path) -> None:
    with pytest.raises(mlang.MError) as caught:
        mlang.compile("model A(d: int) {\n    fn forward(x: f32[N, d]) -> f32[N, d] {\n"
                      "        return y\n    }\n}\n")
    err = caught.value
    assert (err.file, err.line, err.column) == ("<source>", 3, 16)
    assert "y" in err.message and str(err).startswith("<source>:3:16: error:")
    (tmp_path / "bad.m").write_text('let d = dataset("digitz")\n')
    with pytest.raises(mlang.MError) as caught:
        mlang.run(tmp_path / "bad.m")
    assert (caught.value.file, caught.value.line) == (str(tmp_path / "bad.m"), 1)
    model = mlang.compile(MLP).Mlp(4, 3)
    with pytest.raises(mlang.MError, match=r"Mlp.forward expects f32\[\?, 4\], got f32\[2, 5\]"):
        model(np.ones((2, 5), np.float32))
    with pytest.raises(mlang.MError) as caught:
        mlang.load_model(tmp_path / "missing.mpk")
    assert caught.value.file is None and "missing.mpk" in caught.value.message
    with pytest.raises(mlang.MError, match="cannot read 'nowhere.m'"):
        mlang.compile("nowhere.m")
    with pytest.raises(AttributeError, match="no model 'Nope'"):
        mlang.compile(MLP).Nope()
    with pytest.raises(mlang.MError, match="must be a number"):
        mlang.compile(MLP).Mlp(4, object())


def test_import_is_cheap_and_run_stays_the_function(tmp_path: Path) -> None:
    (tmp_path / "p.m").write_text('print("hello", 1 + 2)\n')
    check = ("import sys, mlang\nassert 'torch' not in sys.modules\nimport mlang.run\n"
             "from mlang import run\nassert callable(mlang.run) and run is mlang.run\n"
             "mlang.run(sys.argv[1])\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for command in ([sys.executable, "-c", check, str(tmp_path / "p.m")],
                    [sys.executable, "-m", "mlang.run", str(tmp_path / "p.m")]):
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120,
                              check=False)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "hello 3\n", "")


def test_the_documents_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "docs" / "PYTHON-API.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "PYTHON-API.md", "exec"), {})  # noqa: S102 - the document's code
    printed = capsys.readouterr().out
    assert "(2, 3)" in printed and "expects f32[?, 4], got f32[2, 5]" in printed
    assert (tmp_path / "net.onnx").exists() and (tmp_path / "net.pt2").exists()


def test_the_package_is_typed() -> None:
    assert (ROOT / "py.typed").exists()
    for name in mlang.__all__:
        assert getattr(mlang, name).__doc__, name
