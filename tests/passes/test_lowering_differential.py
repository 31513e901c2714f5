"""Every model op lowered by `lower-to-tensor`, run through the torch backend, against the
reference backend on the same parameters and inputs.

Each case is a one-model M program whose `forward` returns one expression. The reference
evaluates the model-level method; the lowered method is compiled to torch by the code
generator without `select-torch-calls`, so that the lowered arithmetic itself is what is
compared (layer norm, softmax and gelu as their tensor ops, not as the PyTorch calls
that selection would make of them); float results must agree to 1e-4 relative (1e-5
absolute near zero), integer and boolean ones exactly. Shapes include batch 1,
non-square matrices, 3-d Linear inputs, dynamic sizes and causal attention with T = 1
and T = 5. Every example program must lower and generate too (its numerics are the torch
backend's tests' to check; `tests/backends/torch/test_torch_idioms.py` checks selection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from mlang.backends.reference.evaluator import EvalContext, run_function
from mlang.backends.torch.codegen import compile_functions
from mlang.dialects import make_context
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_file, compile_source
from mlang.passes import get_all_passes, get_all_pipelines
from mlang.support.pass_manager import PipelineBuilder
from mlang.support.pass_pipeline import NestedPipeline, parse_pass_list

DTYPES = {"f32": torch.float32, "i64": torch.int64, "bool": torch.bool}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Arg:
    """An argument of `forward`: its name, its M type and the shape of the test input."""

    name: str
    decl: str
    shape: tuple[int, ...]
    high: int = 5
    """Integer inputs are drawn from [0, high)."""

    def value(self, generator: torch.Generator) -> torch.Tensor:
        """A random input of this argument's type and shape."""
        dtype = DTYPES[self.decl.split("[")[0]]
        if dtype == torch.float32:
            return torch.randn(self.shape, generator=generator)
        high = 2 if dtype == torch.bool else self.high
        return torch.randint(0, high, self.shape, generator=generator).to(dtype)


@dataclass(frozen=True)
class Case:
    """A model whose `forward(args) -> result` returns `body`, with `fields` as its layers;
    `result` is written as `f32[?, ?]` (unknown sizes) and defaults to the first
    argument's dtype and rank, every size unknown (a layer may change them)."""

    id: str
    body: str
    args: tuple[Arg, ...]
    result: str = ""
    fields: tuple[str, ...] = field(default_factory=tuple)

    def source(self) -> str:
        """The M program: the model and one instance of it."""
        params = ", ".join(f"{a.name}: {a.decl}" for a in self.args)
        first = self.args[0]
        result = self.result or f"{first.decl.split('[')[0]}[{', '.join('?' * len(first.shape))}]"
        lines = [
            "model M() {", *(f"    {f}" for f in self.fields),
            f"    fn forward({params}) -> {result} {{", f"        return {self.body}", "    }",
            "}", "let m = M()",
        ]
        return "\n".join(lines) + "\n"


def x(*shape: int, decl: str = "") -> Arg:
    """A float argument `x`; its M type has symbolic sizes unless `decl` is given."""
    return Arg("x", decl or _symbolic("f32", len(shape)), shape)


def y(*shape: int, decl: str = "") -> Arg:
    """A second float argument `y`."""
    return Arg("y", decl or _symbolic("f32", len(shape)), shape)


def ids(*shape: int, high: int = 5) -> Arg:
    """An integer argument `ids` with values in [0, high)."""
    return Arg("ids", _symbolic("i64", len(shape)), shape, high)


def _symbolic(dtype: str, rank: int) -> str:
    """`f32[D0, D1, ...]`: every size symbolic, hence `?` in the IR."""
    return f"{dtype}[{', '.join(f'D{i}' for i in range(rank))}]"


def layer(id: str, definition: str, *args: Arg, body: str = "l(x)", result: str = "") -> Case:
    """A case that applies the layer `l = definition`."""
    return Case(id, body, args, result, (f"l = {definition}",))


LAYER_CASES = [
    layer("linear", "Linear(4, 3)", x(2, 4)),
    layer("linear_batch1_3d", "Linear(4, 3)", x(1, 5, 4)),
    layer("linear_no_bias", "Linear(6, 2, bias=false)", x(3, 6)),
    layer("linear_static", "Linear(4, 7)", x(2, 4, decl="f32[2, 4]"), result="f32[?, ?]"),
    layer("conv2d", "Conv2d(2, 3, 3, stride=2, padding=1)", x(2, 2, 7, 6)),
    layer("conv2d_no_bias", "Conv2d(1, 2, 2, bias=false)", x(1, 1, 5, 5)),
    layer("max_pool2d", "MaxPool2d(2)", x(2, 3, 6, 5)),
    layer("avg_pool2d", "AvgPool2d(3, stride=2)", x(1, 2, 7, 7)),
    layer("embedding", "Embedding(10, 4)", ids(2, 3, high=10), body="l(ids)",
          result="f32[?, ?, ?]"),
    layer("layer_norm", "LayerNorm(6)", x(2, 3, 6)),
    layer("layer_norm_eps", "LayerNorm(5, eps=0.001)", x(1, 5)),
    layer("rms_norm", "RMSNorm(6)", x(2, 3, 6)),
    layer("attention", "Attention(8, 2)", x(2, 5, 8)),
    layer("attention_causal", "Attention(8, 2, causal=true)", x(2, 5, 8)),
    layer("attention_causal_t1", "Attention(8, 2, causal=true)", x(3, 1, 8)),
    layer("attention_static_t", "Attention(8, 4, causal=true)", x(1, 4, 8, decl="f32[N, 4, 8]")),
    layer("attention_one_head", "Attention(6, 1)", x(1, 3, 6)),
    layer("dropout_inference", "Dropout(0.5)", x(3, 4)),
    layer("flatten", "Flatten()", x(2, 3, 2, 2), result="f32[?, ?]"),
]

FUNCTION_CASES = [
    *(Case(f, f"{f}(x)", (x(3, 5),))
      for f in ("relu", "gelu", "silu", "sigmoid", "tanh", "exp", "abs", "sin", "cos")),
    *(Case(f, f"{f}(abs(x) + 0.5)", (x(3, 5),)) for f in ("log", "sqrt", "rsqrt")),
    Case("neg", "-x", (x(3, 5),)),
    Case("not", "not (x > 0.0)", (x(3, 5),), "bool[?, ?]"),
    Case("relu_int", "relu(ids - 2)", (ids(4),)),
    Case("exp_int", "exp(ids)", (ids(4),), "f32[?]"),
    Case("softmax", "softmax(x)", (x(3, 5),)),
    Case("softmax_axis0", "softmax(x, axis=0)", (x(3, 5),)),
    Case("log_softmax", "log_softmax(x)", (x(2, 3, 5),)),
    Case("log_softmax_axis1", "log_softmax(x, axis=1)", (x(2, 3, 5),)),
    Case("sum_all", "sum(x)", (x(3, 5),), "f32[]"),
    Case("sum_axis", "sum(x, axis=1)", (x(3, 5),), "f32[?]"),
    Case("sum_keepdim", "sum(x, axis=-1, keepdim=true)", (x(2, 3, 5),)),
    Case("sum_int", "sum(ids, axis=1)", (ids(3, 4),), "i64[?]"),
    Case("mean", "mean(x, axis=0)", (x(3, 5),), "f32[?]"),
    Case("mean_all", "mean(x)", (x(2, 3, 5),), "f32[]"),
    Case("max", "max(x, axis=0)", (x(3, 5),), "f32[?]"),
    Case("min_all", "min(x)", (x(3, 5),), "f32[]"),
    Case("argmax", "argmax(x, axis=1)", (x(3, 5),), "i64[?]"),
    Case("argmax_flat", "argmax(x)", (x(3, 5),), "i64[]"),
    Case("matmul", "matmul(x, y)", (x(2, 3, 4), y(4, 5)), "f32[?, ?, ?]"),
    Case("matmul_operator", "x @ y", (x(3, 4), y(4, 2)), "f32[?, ?]"),
    Case("transpose", "transpose(x, 0, 2)", (x(2, 3, 4),)),
    Case("permute", "permute(x, [2, 0, 1])", (x(2, 3, 4),)),
    Case("reshape", "reshape(x, [-1, 6])", (x(2, 3, 4),), "f32[?, ?]"),
    Case("flatten_function", "flatten(x)", (x(2, 3, 4),), "f32[?, ?]"),
    Case("flatten_dynamic_tail", "flatten(x, start=1)", (x(2, 3, 4),), "f32[?, ?]"),
    Case("flatten_start2", "flatten(x, start=2)", (x(2, 3, 2, 3, decl="f32[N, T, 2, 3]"),),
         "f32[?, ?, ?]"),
    Case("concat", "concat([x, y], axis=1)", (x(2, 3), y(2, 4)), "f32[?, ?]"),
    Case("where", "where(x > 0.0, x, y)", (x(3, 5), y(3, 5))),
    Case("maximum", "maximum(x, y)", (x(3, 5), y(5)), "f32[?, ?]"),
    Case("minimum", "minimum(x, 0.5)", (x(3, 5),)),
    Case("clamp", "clamp(x, -0.5, 0.5)", (x(3, 5),)),
    Case("cast_to_int", "cast(x * 3.0, i64)", (x(3, 5),), "i64[?, ?]"),
    Case("cast_to_float", "cast(ids, f32)", (ids(4),), "f32[?]"),
    Case("one_hot", "one_hot(ids, 5)", (ids(2, 3),), "i64[?, ?, ?]"),
    Case("zeros", "x + zeros([3, 5])", (x(3, 5),), "f32[?, ?]"),
    Case("ones", "x * ones([5])", (x(3, 5),)),
    Case("full", "x + full([5], 2.5)", (x(3, 5),)),
    Case("arange", "ids + arange(4)", (ids(2, 4),), "i64[?, ?]"),
    Case("cross_entropy", "cross_entropy(x, ids)", (x(4, 5), ids(4)), "f32[]"),
    Case("cross_entropy_3d", "cross_entropy(x, ids)", (x(2, 3, 5), ids(2, 3)), "f32[]"),
    Case("mse", "mse(x, y)", (x(3, 5), y(3, 5)), "f32[]"),
    Case("tensor_literal", "x * tensor([1.0, 2.0, 3.0])", (x(2, 3),)),
]

OPERATOR_CASES = [
    Case("add", "x + y", (x(3, 5), y(5)), "f32[?, ?]"),
    Case("sub", "x - y", (x(3, 5), y(3, 5))),
    Case("mul", "x * 2", (x(3, 5),)),
    Case("div", "x / (abs(y) + 0.5)", (x(3, 5), y(3, 5))),
    Case("pow", "(abs(x) + 0.5) ** y", (x(3, 5), y(3, 5))),
    Case("rsub_scalar", "2.0 - x", (x(3, 5),)),
    Case("eq", "ids == 2", (ids(6),), "bool[?]"),
    Case("ne", "x != y", (x(3, 5), y(3, 5)), "bool[?, ?]"),
    Case("lt", "x < y", (x(3, 5), y(3, 5)), "bool[?, ?]"),
    Case("le", "x <= 0.0", (x(3, 5),), "bool[?, ?]"),
    Case("gt_mixed", "ids > 1.5", (ids(6),), "bool[?]"),
    Case("ge", "x >= y", (x(3, 5), y(3, 5)), "bool[?, ?]"),
    Case("and", "(x > 0.0) and (y > 0.0)", (x(3, 5), y(3, 5)), "bool[?, ?]"),
    Case("or", "(x > 0.0) or (y > 0.0)", (x(3, 5), y(3, 5)), "bool[?, ?]"),
    Case("int_arithmetic", "ids * ids + 1 - ids", (ids(6),)),
    Case("int_division", "ids / 2", (ids(6),), "f32[?]"),
    Case("int_plus_float", "cast(ids, f32) + x", (ids(5), x(5)), "f32[?]"),
    Case("int_tensor_plus_float_tensor", "ids + x", (ids(5), x(5)), "f32[?]"),
]

SLICE_CASES = [
    Case("slice_index", "x[:, 0]", (x(3, 5),), "f32[?]"),
    Case("slice_range", "x[1:3]", (x(4, 5),)),
    Case("slice_last", "x[-1]", (x(4, 5),), "f32[?]"),
    Case("slice_step", "x[:, ::2]", (x(3, 5),)),
    Case("slice_mixed", "x[0, 1:]", (x(3, 5),), "f32[?]"),
    Case("slice_negative", "x[:, -2]", (x(2, 3, 4),), "f32[?, ?]"),
    Case("slice_drop_last_dynamic", "x[:, :, 0]", (x(2, 3, 4),), "f32[?, ?]"),
]

INDEXING_CASES = [
    Case("erf", "erf(x)", (x(3, 5),)),
    Case("erf_int", "erf(ids)", (ids(4),), "f32[?]"),
    Case("pow_function", "pow(abs(x) + 0.5, y)", (x(3, 5), y(5)), "f32[?, ?]"),
    Case("tril", "tril(x)", (x(2, 3, 4),)),
    Case("tril_k", "tril(x, k=-1)", (x(4, 3),)),
    Case("triu_k", "triu(x, 1)", (x(3, 5),)),
    Case("triu_bool", "triu(x > 0.0)", (x(3, 3),), "bool[?, ?]"),
    Case("tril_int", "tril(ids, 2)", (ids(4, 5),)),
    Case("cumsum", "cumsum(x, 1)", (x(2, 3, 4),)),
    Case("cumsum_int", "cumsum(ids, -1)", (ids(3, 4),)),
    Case("cumsum_bool", "cumsum(x > 0.0, 0)", (x(3, 4),), "i64[?, ?]"),
    Case("topk_values", "topk(x, 2)[0]", (x(3, 5),)),
    Case("topk_indices", "topk(x, 3, axis=0)[1]", (x(4, 2),), "i64[?, ?]"),
    Case("gather", "gather(x, 1, ids)", (x(3, 5), ids(3, 2)), "f32[?, ?]"),
    Case("gather_axis0", "gather(x, 0, ids)", (x(5, 3), ids(2, 3)), "f32[?, ?]"),
    Case("unsqueeze", "unsqueeze(x, 1)", (x(2, 3),), "f32[?, ?, ?]"),
    Case("unsqueeze_front", "unsqueeze(x, 0)", (x(2, 3),), "f32[?, ?, ?]"),
    Case("unsqueeze_last", "unsqueeze(x, -1)", (x(2, 3),), "f32[?, ?, ?]"),
    Case("unsqueeze_dynamic", "unsqueeze(x, 1)", (x(2, 3, 4),), "f32[?, ?, ?, ?]"),
    Case("squeeze_dynamic", "squeeze(x, 1)", (x(2, 1, 3, 4, decl="f32[N, 1, T, S]"),),
         "f32[?, ?, ?]"),
    Case("squeeze", "squeeze(x, 1)", (x(2, 1, 3, decl="f32[N, 1, T]"),), "f32[?, ?]"),
    Case("squeeze_last", "squeeze(x, -1)", (x(2, 3, 1, decl="f32[N, T, 1]"),), "f32[?, ?]"),
    Case("expand", "expand(x, [2, -1, 4])", (x(3, 1, decl="f32[N, 1]"),), "f32[?, ?, ?]"),
    Case("repeat_interleave", "repeat_interleave(x, 2, 1)", (x(2, 3, 4, decl="f32[N, 3, 4]"),),
         "f32[?, ?, ?]"),
    Case("repeat_interleave_last", "repeat_interleave(x, 3, -1)", (x(2, 3),)),
    Case("chunk", "chunk(x, 2, 1)[1]", (x(2, 5, decl="f32[N, 5]"),)),
    Case("chunk_first", "chunk(x, 3)[0] * 2.0", (x(4, 2, decl="f32[4, C]"),), "f32[?, ?]"),
    Case("pad", "pad(x, [1, 2])", (x(2, 3),)),
    Case("pad_two_dims", "pad(x, [0, 1, 2, 0], value=-1.5)", (x(2, 3, 4),)),
    Case("pad_crop", "pad(x, [-1, 1])", (x(3, 4),)),
    Case("pad_int", "pad(ids, [1, 1], value=7)", (ids(2, 3),)),
    Case("masked_fill", "masked_fill(x, y > 0.0, -1.0)", (x(3, 5), y(5)), "f32[?, ?]"),
    Case("masked_fill_int", "masked_fill(ids, ids > 2, 0)", (ids(3, 4),)),
    Case("normalize", "normalize(x)", (x(3, 5),)),
    Case("normalize_axis0", "normalize(x, axis=0)", (x(3, 5),)),
    Case("normalize_zero", "normalize(x * 0.0)", (x(2, 3),)),
    Case("dropout_function_inference", "dropout(x, 0.5)", (x(3, 4),)),
]

CASES = LAYER_CASES + FUNCTION_CASES + OPERATOR_CASES + SLICE_CASES + INDEXING_CASES


def lower_to_tensor(module: ModuleOp) -> None:
    """Runs the `lower-to-tensor` pipeline, as mopt would."""
    builder = PipelineBuilder(get_all_passes(), get_all_pipelines())
    passes = parse_pass_list("lower-to-tensor")
    builder.build(NestedPipeline("builtin.module", passes, 1)).apply(make_context(), module)


def forward_of(module: ModuleOp) -> tuple[DefOp, func.FuncOp]:
    """The one model definition of a module and its `forward` method."""
    (model,) = [op for op in module.walk() if isinstance(op, DefOp)]
    return model, model.methods["forward"]


def random_params(model: DefOp, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """A random float32 value for every parameter of `model`."""
    return {
        p.sym_name.data: torch.randn(tuple(p.param_type.get_shape()), generator=generator)
        for p in model.params
    }


def check_same(actual: object, expected: object) -> None:
    """Floats to 1e-4 relative; integers and booleans exactly; the same dtype and shape."""
    assert isinstance(actual, torch.Tensor) and isinstance(expected, torch.Tensor)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    if expected.is_floating_point():
        torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
    else:
        assert torch.equal(actual, expected)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_lowered_matches_reference(case: Case) -> None:
    module = compile_source(case.source(), f"{case.id}.m")
    generator = torch.Generator().manual_seed(0)
    model, forward = forward_of(module)
    params = random_params(model, generator)
    inputs = [a.value(generator) for a in case.args]
    (expected,) = run_function(forward, inputs, EvalContext(params))

    lower_to_tensor(module)
    _, lowered = forward_of(module)
    actual = compile_functions([lowered], select=False)["forward"](params, *inputs)
    check_same(actual, expected)


def test_dropout_trains_only_when_asked() -> None:
    module = compile_source(layer("dropout", "Dropout(0.5)", x(64, 64)).source(), "drop.m")
    lower_to_tensor(module)
    forward = compile_functions([forward_of(module)[1]])["forward"]
    data = torch.rand(64, 64) + 1.0
    assert torch.equal(forward({}, data), data)
    trained = forward({}, data, training=True)
    kept = trained != 0
    torch.testing.assert_close(trained[kept], data[kept] * 2.0)
    assert 0.3 < kept.float().mean().item() < 0.7


def test_dropout_function_trains_only_when_asked() -> None:
    module = compile_source(Case("drop", "dropout(x, 0.5)", (x(64, 64),)).source(), "drop.m")
    lower_to_tensor(module)
    forward = compile_functions([forward_of(module)[1]])["forward"]
    data = torch.rand(64, 64) + 1.0
    assert torch.equal(forward({}, data), data)
    trained = forward({}, data, training=True)
    kept = trained != 0
    torch.testing.assert_close(trained[kept], data[kept] * 2.0)
    assert 0.3 < kept.float().mean().item() < 0.7


def test_host_program_keeps_its_model_ops() -> None:
    source = layer("host", "Linear(4, 3)", x(2, 4)).source()
    module = compile_source(source + "print(m(ones([2, 4])))\n", "host.m")
    lower_to_tensor(module)
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    names = {op.name for op in main.walk()}
    assert {"model.instantiate", "model.call", "model.ones"} <= names


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.m")), ids=lambda p: p.stem)
def test_every_example_lowers_to_generated_torch(path: Path) -> None:
    module = compile_file(str(path))
    lower_to_tensor(module)
    models = [op for op in module.walk() if isinstance(op, DefOp)]
    assert models
    for model in models:
        assert "forward" in compile_functions(model.methods.values())
