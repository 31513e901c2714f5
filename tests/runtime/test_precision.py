"""Half precision (`mrun --dtype bf16|f16`): models retyped to bfloat16 or float16 run on
the torch and Triton backends (Triton under its interpreter) within the documented
tolerance of the float32 reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from xdsl.dialects.builtin import AnyFloat, bf16, f16

from mlang.backends import RunOptions, get_backend
from mlang.backends.reference.init import init_parameter
from mlang.backends.triton.backend import generate_definition
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_file
from mlang.runtime.precision import (
    TOLERANCE, HalfPrecisionBackend, convert_parameters, declared_parameters, retype_floats,
    torch_dtype, with_dtype,
)
from mlang.support.diagnostics import SourceManager
from mlang.tools.mrun import run_program

PROGRAM = """
model Mlp(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)
    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x)))
    }
}

model Block(dim: int, heads: int) {
    ln1 = LayerNorm(dim)
    attn = Attention(dim, heads, causal=true)
    ln2 = LayerNorm(dim)
    up = Linear(dim, 4 * dim)
    down = Linear(4 * dim, dim)
    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let h = x + attn(ln1(x))
        return h + down(gelu(up(ln2(h))))
    }
}

model Tail(dim: int, classes: int) {
    norm = RMSNorm(dim)
    head = Linear(dim, classes)
    fn forward(x: f32[N, T, dim]) -> f32[N, classes] {
        let logits = head(mean(norm(x), axis=1))
        return log_softmax(logits, axis=1) + softmax(head(sum(x, axis=1)), axis=1)
    }
}

model Cnn(classes: int) {
    conv = Conv2d(1, 4, 3, padding=1)
    pool = MaxPool2d(2)
    fc = Linear(64, classes)
    fn forward(x: f32[N, 1, 8, 8]) -> f32[N, classes] {
        return fc(reshape(pool(relu(conv(x))), [-1, 64]))
    }
}

let a = Mlp(12, 24, 5)
let b = Block(16, 2)
let c = Tail(16, 5)
let d = Cnn(5)
"""

INPUTS = {"Mlp": (6, 12), "Block": (2, 7, 16), "Tail": (3, 5, 16), "Cnn": (3, 1, 8, 8)}
"""A small input shape for each model of PROGRAM."""


@pytest.fixture(scope="module")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DefOp]:
    """PROGRAM's model definitions by model name."""
    path = tmp_path_factory.mktemp("half") / "models.m"
    path.write_text(PROGRAM)
    module = compile_file(str(path), SourceManager())
    found = [op for op in module.walk() if isinstance(op, DefOp)]
    return {d.sym_name.data.split("_")[0]: d for d in found}


def random_params(definition: DefOp) -> dict[str, torch.Tensor]:
    """float32 parameters drawn as the runtime draws them."""
    return {p.sym_name.data: init_parameter(p.init.data, tuple(p.param_type.get_shape()),
                                            p.scale.value.data)
            for p in definition.params}


def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    """The largest difference, relative to the largest magnitude of `want`."""
    return float((got - want).abs().max() / want.abs().max())


def half_error(definition: DefOp, params: dict[str, torch.Tensor], x: torch.Tensor,
               backend: str, dtype: str) -> float:
    """The relative error of `definition` on `backend` in half precision `dtype` against
    float32 on the reference backend (the result checked to be float32 of the same shape)."""
    want = get_backend("reference").compile(definition).run("forward", params, [x],
                                                             RunOptions())[0]
    half = HalfPrecisionBackend(get_backend(backend), dtype).compile(definition)
    stored = convert_parameters(params, torch_dtype(dtype))
    got = half.run("forward", stored, [x], RunOptions())[0]
    assert isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor)
    assert got.dtype == torch.float32 and got.shape == want.shape
    return relative_error(got, want)


@pytest.mark.parametrize("dtype", ["bf16", "f16"])
@pytest.mark.parametrize("backend", ["torch", "triton"])
@pytest.mark.parametrize("model", sorted(INPUTS))
def test_half_precision_is_within_tolerance_of_f32(
        definitions: dict[str, DefOp], model: str, backend: str, dtype: str) -> None:
    definition = definitions[model]
    torch.manual_seed(0)
    params, x = random_params(definition), torch.randn(*INPUTS[model])
    error = half_error(definition, params, x, backend, dtype)
    print(f"{model} {backend} {dtype}: max relative error {error:.2e}")
    assert 0 < error <= TOLERANCE[dtype]  # 0 would mean the model ran in float32


def test_retyping_replaces_every_f32(definitions: dict[str, DefOp]) -> None:
    definition = definitions["Block"]
    for element in (bf16, f16):
        text = str(retype_floats(definition, element))
        assert "f32" not in text and str(element) in text
    assert "f32" in str(definition)  # the original is left as it was


@pytest.mark.parametrize(("element", "dot"), [
    (f16, r"tl\.dot\(\w+\.to\(tl\.float16\), \w+\.to\(tl\.float16\), out_dtype=tl\.float32\)"),
    (bf16, r'tl\.dot\(\w+\.to\(tl\.float32\), \w+\.to\(tl\.float32\), input_precision="ieee"\)'),
])
def test_triton_kernels_store_half_and_accumulate_in_f32(
        definitions: dict[str, DefOp], element: AnyFloat, dot: str) -> None:
    source = generate_definition(retype_floats(definitions["Mlp"], element))
    assert len(re.findall(dot, source)) == 2  # both layers
    assert "acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)" in source
    assert f"torch.{'float16' if element == f16 else 'bfloat16'}, device)" in source


def test_converted_parameters_are_half_leaves() -> None:
    params = {"w": torch.randn(3, 2, requires_grad=True), "ids": torch.arange(3),
              "d": torch.zeros(2, dtype=torch.float64)}
    stored = convert_parameters(params, torch.bfloat16)
    assert stored["w"].dtype == torch.bfloat16 and stored["w"].is_leaf
    assert stored["w"].requires_grad
    assert stored["ids"] is params["ids"] and stored["d"] is params["d"]


def test_packages_hold_the_declared_float32(definitions: dict[str, DefOp]) -> None:
    definition = definitions["Mlp"]
    params = random_params(definition)
    declared = declared_parameters(definition, convert_parameters(params, torch.bfloat16))
    assert all(declared[name].dtype == torch.float32 for name in params)
    half = retype_floats(definition, bf16)  # a definition that declares bf16 keeps it
    kept = declared_parameters(half, convert_parameters(params, torch.bfloat16))
    assert all(kept[name].dtype == torch.bfloat16 for name in params)


def test_f32_leaves_the_backend_alone() -> None:
    backend = get_backend("torch")
    assert with_dtype(backend, "f32") is backend


HOST_PROGRAM = """
model M() {
    fc = Linear(4, 3)
    fn forward(x: f32[N, 4]) -> f32[N, 3] { return fc(x) }
}
seed(0)
let (train, test) = split(dataset("iris"), 0.8)
let m = M()
print(m(ones([1, 4])))
fit(m, train, epochs=1)
save(m, "m.mpk")
print("loaded:", evaluate(load_model("m.mpk"), test) == evaluate(m, test))
print("int8:", evaluate(quantize(m, "int8"), test) > 0.0)
"""


def test_mrun_dtype_runs_a_program_in_half_precision(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "half.m").write_text(HOST_PROGRAM)
    monkeypatch.chdir(tmp_path)
    outputs = {}
    for dtype in ("f32", "bf16", "f16"):
        run_program("half.m", "torch", "cpu", None, SourceManager(), dtype=dtype)
        out = capsys.readouterr().out
        assert "loaded: true\nint8: true" in out
        outputs[dtype] = out.splitlines()[0]  # the first call's result
    assert outputs["bf16"] != outputs["f32"] != outputs["f16"]
