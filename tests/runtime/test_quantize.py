"""`quantize()` end to end: accuracy on digits, on the reference and torch backends;
output fidelity on a small encoder; packages (int8 tensors, size, exact reload); the
original left unchanged; the quantized definition's IR."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from xdsl.dialects.builtin import i8

from mlang.backends import Backend, get_backend
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
from mlang.runtime import datasets, training
from mlang.runtime.calibration import activation_ranges
from mlang.runtime.model import ModelInstance
from mlang.runtime.model_io import load_model, save_model
from mlang.runtime.quantize import quantize_model
from mlang.runtime.summary import summary_table
from mlang.support.diagnostics import UserError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import encoder as bench_encoder  # noqa: E402 - the benchmark's M encoder

CLASSIFIER = """
model Classifier(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)
    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x / 16.0)))
    }
}
let net = Classifier(64, 256, 10)
"""
MARGINS = {"weight": 0.02, "dynamic": 0.03, "static": 0.03}
"""How far int8 accuracy may fall below float32 (fractions of 1), by mode."""


def definition_of(source: str, model: str = "Classifier") -> DefOp:
    """The specialised definition of `model` in an M program."""
    module = compile_source(source, "test.m")
    return next(op for op in module.ops
                if isinstance(op, DefOp) and op.attributes["source"].data == model)  # type: ignore[attr-defined]


def instance(definition: DefOp, backend: Backend, params: dict[str, torch.Tensor]) -> ModelInstance:
    return ModelInstance(definition, backend.compile(definition), dict(params))


@pytest.fixture(scope="module")
def digits() -> tuple[DefOp, dict[str, torch.Tensor], datasets.Dataset, datasets.Dataset]:
    """A 64-256-10 classifier trained 15 epochs on digits (torch backend)."""
    definition = definition_of(CLASSIFIER)
    train, test = datasets.split(datasets.builtin_dataset("digits"), 0.8)
    torch.manual_seed(0)
    model = ModelInstance.create(definition, get_backend("torch").compile(definition), "cpu")
    training.fit(model, train, epochs=15, lr=0.002)
    return definition, model.params, train, test


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_digits_accuracy_within_margins(digits: tuple, backend: str) -> None:
    definition, params, train, test = digits
    net = instance(definition, get_backend(backend), params)
    f32 = training.evaluate(net, test)
    assert f32 >= 0.95
    for mode, margin in MARGINS.items():
        q = quantize_model(net, "int8", mode, train.slice(0, 256), get_backend(backend))
        accuracy = training.evaluate(q, test)
        assert accuracy >= f32 - margin, (mode, accuracy, f32)


def test_backends_agree_exactly_on_int8(digits: tuple) -> None:
    """Int8 products are exact on both backends, so quantized outputs agree closely, and
    the quantized weights and calibrated ranges are the same."""
    definition, params, train, test = digits
    outputs, weights = {}, {}
    for name in ("reference", "torch"):
        backend = get_backend(name)
        net = instance(definition, backend, params)
        q = quantize_model(net, "int8", "static", train.slice(0, 256), backend)
        outputs[name] = training.predict(q, test.x)
        weights[name] = q.params
    torch.testing.assert_close(outputs["torch"], outputs["reference"], rtol=1e-5, atol=1e-6)
    for k, v in weights["torch"].items():
        assert torch.equal(v, weights["reference"][k]), k


def test_original_is_unchanged_and_ir_says_int8(digits: tuple) -> None:
    definition, params, _, _ = digits
    net = instance(definition, get_backend("torch"), params)
    before_ir, before = str(net.definition), {k: v.clone() for k, v in net.params.items()}
    q = quantize_model(net, "int8", "dynamic", None, get_backend("torch"))
    assert str(net.definition) == before_ir and net.quantization is None
    assert all(torch.equal(before[k], v) for k, v in net.params.items())
    assert q.quantization == "dynamic" and q.definition is not net.definition
    declared = {p.sym_name.data: p.param_type for p in q.definition.params}
    assert declared["fc1.weight"].element_type == i8
    assert list(declared["fc1.weight.scale"].get_shape()) == [256, 1]
    assert q.params["fc1.weight"].dtype == torch.int8 and "fc1.weight" not in [
        k for k, v in q.params.items() if v.is_floating_point()]
    assert q.parameter_count() == net.parameter_count()
    table = summary_table(q)
    assert "fc1    Linear      [?, 256]  int8    16640" in table
    with pytest.raises(UserError, match="already quantized"):
        quantize_model(q, "int8", "weight", None, get_backend("torch"))
    with pytest.raises(UserError, match="unknown quantization mode 'int4'"):
        quantize_model(net, "int8", "int4", None, get_backend("torch"))
    with pytest.raises(UserError, match='needs calibrate=DATASET'):
        quantize_model(net, "int8", "static", None, get_backend("torch"))


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_package_holds_int8_and_reloads_exactly(digits: tuple, backend: str,
                                                tmp_path: Path) -> None:
    definition, params, train, test = digits
    chosen = get_backend(backend)
    net = instance(definition, chosen, params)
    save_model(net, str(tmp_path / "f32.mpk"))
    for mode in ("weight", "dynamic", "static"):
        q = quantize_model(net, "int8", mode, train.slice(0, 128), chosen)
        path = tmp_path / f"{mode}.mpk"
        save_model(q, str(path))
        ratio = path.stat().st_size / (tmp_path / "f32.mpk").stat().st_size
        assert ratio <= 0.35, (mode, ratio)
        loaded = load_model(str(path), chosen, "cpu")
        assert loaded.quantization == mode and str(loaded.definition) == str(q.definition)
        assert torch.equal(training.predict(loaded, test.x), training.predict(q, test.x))


def test_calibration_ranges_match_between_backends(digits: tuple) -> None:
    definition, params, train, _ = digits
    from mlang.runtime.quantize import LOWERING, run_pipeline
    from xdsl.dialects.builtin import ModuleOp

    lowered = definition.clone()
    run_pipeline(ModuleOp([lowered]), LOWERING)
    batches = [train.x[:100], train.x[100:256]]
    ranges = {name: activation_ranges(lowered, params, batches, get_backend(name))
              for name in ("reference", "torch")}
    assert set(ranges["torch"]) == {"fc1.weight", "fc2.weight"}
    assert ranges["torch"]["fc1.weight"] == pytest.approx(16.0 / 16.0)  # digits pixels <= 16
    assert ranges["torch"] == pytest.approx(ranges["reference"], rel=1e-6)
    clipped = activation_ranges(lowered, params, batches, get_backend("torch"), percentile=99.0)
    assert clipped["fc2.weight"] < ranges["torch"]["fc2.weight"]


ENCODER = bench_encoder.M_SOURCE.replace("DIM", "32").replace("HEADS", "4") \
    .replace("FFN", "64").replace("DEPTH", "2")


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0))


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_encoder_outputs_stay_close(backend: str) -> None:
    """A random-weight encoder (the benchmark's, small): int8 outputs against float32."""
    definition = definition_of(ENCODER, "Encoder")
    chosen = get_backend(backend)
    torch.manual_seed(0)
    net = ModelInstance.create(definition, chosen.compile(definition), "cpu")
    x = torch.randn(2, 16, 32)
    calibration = datasets.Dataset(torch.randn(8, 16, 32), torch.zeros(8, dtype=torch.int64))
    want = net.forward(x, False)
    for mode in ("weight", "dynamic", "static"):
        q = quantize_model(net, "int8", mode, calibration if mode == "static" else None, chosen)
        assert q.definition.attributes["quantization"].data == mode  # type: ignore[attr-defined]
        assert cosine(q.forward(x, False), want) >= 0.99, mode


def test_file_size_builtin(tmp_path: Path) -> None:
    from io import StringIO

    from mlang.runtime.interpreter import Interpreter
    from mlang.support.diagnostics import CompileError

    (tmp_path / "five.bin").write_bytes(b"12345")
    source = f'print(file_size("{tmp_path / "five.bin"}"))\nprint(file_size("{tmp_path}/no"))\n'
    out = StringIO()
    with pytest.raises(CompileError) as caught:
        Interpreter(compile_source(source, "f.m"), get_backend("reference"), "cpu", out).run()
    assert out.getvalue() == "5\n"
    assert caught.value.loc is not None and caught.value.loc.line == 2
    assert "cannot read the size of" in caught.value.message


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_a_layer_called_twice_quantizes(mode: str) -> None:
    # Both calls read one transpose of the weight, which the pass once erased twice.
    source = """
    model Twice() {
        fc = Linear(4, 4)
        fn forward(x: f32[N, 4]) -> f32[N, 4] { return fc(fc(x)) }
    }
    let net = Twice()
    """
    definition, x = definition_of(source, "Twice"), torch.randn(3, 4)
    torch.manual_seed(0)
    params = ModelInstance.create(definition, get_backend("reference").compile(definition),
                                  "cpu").params
    calibration = datasets.Dataset(x, torch.zeros(3)) if mode == "static" else None
    outputs = []
    for name in ("reference", "torch"):
        net = instance(definition, get_backend(name), params)
        q = quantize_model(net, "int8", mode, calibration, get_backend(name))
        outputs.append(training.predict(q, x))
        assert cosine(outputs[-1], training.predict(net, x)) >= 0.99
    torch.testing.assert_close(outputs[0], outputs[1], rtol=1e-5, atol=1e-6)


def test_each_call_of_a_layer_has_its_own_static_scale() -> None:
    """A layer called on small and on large activations: one scale for both would round
    the small ones to a few levels (they came out 4x too large, sign flipped)."""
    source = """
    model Ranges() {
        fc = Linear(4, 4)
        fn forward(x: f32[N, 4]) -> f32[N, 8] {
            return concat([fc(x), fc(x * 100.0)], axis=1)
        }
    }
    let net = Ranges()
    """
    definition = definition_of(source, "Ranges")
    torch.manual_seed(0)
    backend = get_backend("torch")
    net = ModelInstance.create(definition, backend.compile(definition), "cpu")
    x = torch.randn(16, 4)
    q = quantize_model(net, "int8", "static", datasets.Dataset(x, torch.zeros(16)), backend)
    assert set(activation_ranges_of(q)) == {"fc.weight", "fc.weight#1"}
    want, got = training.predict(net, x), training.predict(q, x)
    for half in (slice(0, 4), slice(4, 8)):
        assert cosine(got[:, half], want[:, half]) >= 0.999


def activation_ranges_of(model: ModelInstance) -> dict[str, object]:
    """The `calibration` attribute of a quantized model's definition."""
    return dict(model.definition.attributes["calibration"].data)  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["weight", "dynamic"])
def test_convolutions_and_embeddings_are_stored_as_int8(mode: str, tmp_path: Path) -> None:
    """Filters and tables become int8 in every mode (they stayed float32, so that a CNN's
    package did not shrink); outputs stay close, the backends agree, packages reload."""
    source = """
    model Cnn() {
        conv = Conv2d(8, 32, 3, padding=1)
        emb = Embedding(200, 32)
        fc = Linear(32, 5)
        fn forward(x: f32[N, 8, 6, 6]) -> f32[N, 5] {
            return fc(mean(mean(relu(conv(x)), axis=3), axis=2))
        }
        fn lookup(ids: i64[N, T]) -> f32[N, T, 5] {
            return fc(emb(ids))
        }
    }
    let net = Cnn()
    """
    definition = definition_of(source, "Cnn")
    x, ids = torch.randn(4, 8, 6, 6), torch.randint(0, 200, (4, 7))
    torch.manual_seed(0)
    params = ModelInstance.create(definition, get_backend("reference").compile(definition),
                                  "cpu").params
    outputs = []
    for name in ("reference", "torch"):
        net = instance(definition, get_backend(name), params)
        q = quantize_model(net, "int8", mode, None, get_backend(name))
        assert {n: t.dtype for n, t in q.params.items() if n.endswith("weight")} == {
            "conv.weight": torch.int8, "emb.weight": torch.int8, "fc.weight": torch.int8}
        y, e = training.predict(q, x), q.call("lookup", [ids])[0]
        assert cosine(y, training.predict(net, x)) >= 0.99
        assert cosine(e, net.call("lookup", [ids])[0]) >= 0.99
        outputs.append((y, e))
        save_model(net, str(tmp_path / "f32.mpk"))
        save_model(q, str(tmp_path / "q.mpk"))
        ratio = (tmp_path / "q.mpk").stat().st_size / (tmp_path / "f32.mpk").stat().st_size
        assert ratio <= 0.35, ratio
        loaded = load_model(str(tmp_path / "q.mpk"), get_backend(name), "cpu")
        assert torch.equal(training.predict(loaded, x), y)
    for reference, generated in zip(*outputs):
        torch.testing.assert_close(generated, reference, rtol=1e-5, atol=1e-6)
