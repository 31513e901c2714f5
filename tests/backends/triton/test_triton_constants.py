"""Constants in Triton kernels: the printer's typed constant of every element type, run
under the interpreter, and kernels that compute with constants of every dtype (and casts
of constants, such as BERT's `scores / sqrt(8)`) against PyTorch eager on the same IR and
against the reference backend on an M program."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest
import torch
from triton_testing import assert_close, run_both
from xdsl.dialects.builtin import (
    BFloat16Type, Float16Type, IntegerType, TensorType, f32, f64, i1, i32, i64,
)
from xdsl.ir import Attribute

from mlang.backends import RunOptions
from mlang.backends.reference.backend import ReferenceBackend
from mlang.backends.reference.init import init_parameter
from mlang.backends.triton.backend import TritonBackend
from mlang.backends.triton.cache import load_source
from mlang.backends.torch.emitter import TORCH_DTYPES
from mlang.backends.triton.device import compute_type, constant
from mlang.dialects.model.structure import DefOp
from mlang.dialects.tensorops import ConstantOp
from mlang.frontend import compile_file
from mlang.support.diagnostics import SourceManager

pytestmark = pytest.mark.gpu_kernels  # every kernel here also compiled for sm_80 and sm_90

ELEMENTS: dict[str, Attribute] = {
    "f16": Float16Type(), "bf16": BFloat16Type(), "f32": f32, "f64": f64, "i1": i1,
    "i8": IntegerType(8), "i32": i32, "i64": i64,
}
NAN, INF = math.nan, math.inf
VALUES: dict[str, list[int | float]] = {
    "f16": [0.1, 65504.0, 1e-7, -0.0, NAN, INF, -INF, 1e6],
    "bf16": [0.1, 3.0e38, -1.5, -0.0, NAN, -INF],
    "f32": [8.0, 0.1, -2.5, 3.4028234663852886e38, 1e-45, -0.0, NAN, INF, -INF],
    "f64": [0.1, 1e300, 5e-324, -0.0, NAN, INF, -INF],
    "i1": [0, 1],
    "i8": [-128, 127, 8],
    "i32": [-2**31, 2**31 - 1, 8],
    "i64": [-2**63, 2**63 - 1, 3_000_000_000, 8],
}
"""Per element type: ordinary values, extremes, signed zero, nan and infinities."""

PROBE = """
import triton
import triton.language as tl


@triton.jit
def probe_kernel(out):
    c = {expression}
    tl.static_assert(c.dtype == {dtype})
    tl.store(out, c)


def probe(out):
    probe_kernel[(1,)](out)
    return out


FUNCTIONS = {{"probe": probe}}
"""
"""A kernel that checks the printed constant's Triton type and stores its value."""


def torch_dtype(t: Attribute) -> torch.dtype:
    """The PyTorch dtype of elements of type `t`."""
    dtype = getattr(torch, TORCH_DTYPES[str(t)].removeprefix("torch."))
    assert isinstance(dtype, torch.dtype)
    return dtype


def compute_dtype(t: Attribute) -> torch.dtype:
    """The PyTorch dtype of `t`'s compute type (float32 for float16 and bfloat16)."""
    return torch.float32 if compute_type(t) == "tl.float32" else torch_dtype(t)


def dense(value: int | float, element: str) -> str:
    """A splat `tensorops.constant` of a 0-d tensor, as IR text (nan as raw bytes)."""
    op = ConstantOp.from_values(TensorType(ELEMENTS[element], []), [value])
    return f"tensorops.constant {str(op).split('tensorops.constant ', 1)[1]}"


def assert_same(got: torch.Tensor, want: torch.Tensor) -> None:
    """Equal values (nan equal to nan, -0.0 unlike 0.0), dtypes and shapes; bfloat16
    within one unit in the last place, as the interpreter's conversion from float32 to
    bfloat16 truncates where PyTorch (and Triton on a GPU) rounds to nearest even."""
    assert got.dtype == want.dtype and got.shape == want.shape, (got, want)
    rtol = 2.0**-7 if got.dtype == torch.bfloat16 else 0.0
    torch.testing.assert_close(got, want, rtol=rtol, atol=0, equal_nan=True)
    if got.dtype.is_floating_point:
        assert torch.equal(torch.signbit(got), torch.signbit(want)), (got, want)


@pytest.mark.parametrize("element, value", [(e, v) for e, vs in VALUES.items() for v in vs])
def test_a_constant_prints_as_a_typed_expression_of_its_exact_value(
        element: str, value: int | float) -> None:
    t = ELEMENTS[element]
    expression = constant(value, t)
    ast.parse(expression, mode="eval")
    ast.parse(f"{expression}.to(tl.float32)", mode="eval")
    probe = load_source(PROBE.format(expression=expression, dtype=compute_type(t)))["probe"]
    got = probe(torch.zeros(1, dtype=compute_dtype(t)))
    want = torch.tensor([value], dtype=torch_dtype(t)).to(compute_dtype(t))
    assert_same(got, want)


def constants_kernel(element: str, a: int | float, b: int | float) -> str:
    """A kernel that adds `a` to an input, selects between `a` and `b` (a tile made of
    constants alone), and multiplies that by `b`; `and` and `or` for `i1`."""
    add, mul = ("or", "and") if element == "i1" else ("add", "mul")
    t, tt = f"tensor<{element}>", f"tensor<?x5x{element}>"
    return f"""
    func.func @f(%x: {tt}, %p: tensor<?x5xi1>) -> ({tt}, {tt}, {tt}) {{
      %a = {dense(a, element)}
      %b = {dense(b, element)}
      %s = tensorops.{add} %x, %a : {tt}, {t} -> {tt}
      %w = tensorops.select %p, %a, %b : tensor<?x5xi1>, {t}, {t} -> {tt}
      %m = tensorops.{mul} %w, %b : {tt}, {t} -> {tt}
      func.return %s, %w, %m : {tt}, {tt}, {tt}
    }}
    """


CONSTANT_PAIRS = [
    ("f16", 0.1, 65504.0), ("f16", -0.0, INF), ("bf16", 0.1, -INF), ("bf16", 3.0e38, NAN),
    ("f32", 8.0, -0.0), ("f32", NAN, INF), ("f32", 0.1, -2.5), ("f64", 0.1, 1e300),
    ("f64", -INF, 5e-324), ("i1", 1, 0), ("i8", 127, -128), ("i32", 2**31 - 1, -2**31),
    ("i64", 3_000_000_000, 2**31 - 1), ("i64", -2**63, 8),
]
"""Pairs of constants whose results a float32 or int32 constant would change (0.1 in
float16, bfloat16 and float64; products past int32) or that are special (nan, infinities,
signed zero, extremes that wrap)."""


def sample(element: str, shape: tuple[int, ...]) -> torch.Tensor:
    """A tensor of element type `element` with small values of both signs."""
    dtype = torch_dtype(ELEMENTS[element])
    if dtype == torch.bool:
        return torch.rand(shape) < 0.5
    if dtype.is_floating_point:
        return (torch.randn(shape) * 3).to(dtype)
    return torch.randint(-5, 5, shape, dtype=dtype)


@pytest.mark.parametrize("element, a, b", CONSTANT_PAIRS)
def test_kernels_compute_with_constants_of_every_dtype(
        element: str, a: int | float, b: int | float) -> None:
    torch.manual_seed(0)
    args = [sample(element, (3, 5)), sample("i1", (3, 5))]
    got, want, _ = run_both(constants_kernel(element, a, b), "f", args)
    for g, w in zip(got, want):
        assert_same(g, w)


CASTS = [
    ("i64", 8, "f32"), ("i64", 2**40 + 1, "f32"), ("i64", 300, "i8"), ("i32", -1, "i1"),
    ("i32", 5, "f16"), ("i1", 1, "f32"), ("i1", 1, "i64"), ("f32", -2.7, "i32"),
    ("f32", 2.7, "i8"), ("f32", 0.1, "bf16"), ("f32", NAN, "i1"), ("f32", -0.0, "f64"),
    ("f32", INF, "f16"), ("f64", 0.1, "f32"), ("f64", 1e300, "f32"), ("f16", 0.1, "f64"),
    ("bf16", -INF, "f32"), ("i8", -128, "i64"),
]
"""Casts of constants: between every kind, narrowing (wraps, rounds, overflows to
infinity), and from special values."""


@pytest.mark.parametrize("source, value, target", CASTS)
def test_a_cast_of_a_constant_is_a_constant_of_the_target_type(
        source: str, value: int | float, target: str) -> None:
    t, tt = f"tensor<{target}>", f"tensor<?x3x{target}>"
    text = f"""
    func.func @f(%x: {tt}, %p: tensor<?x3xi1>) -> {tt} {{
      %c = {dense(value, source)}
      %k = tensorops.cast %c : tensor<{source}> -> {t}
      %r = tensorops.select %p, %k, %x : tensor<?x3xi1>, {t}, {tt} -> {tt}
      func.return %r : {tt}
    }}
    """
    torch.manual_seed(1)
    got, want, _ = run_both(text, "f", [sample(target, (4, 3)), sample("i1", (4, 3))])
    assert_same(got[0], want[0])


SCALED_SCORES = """
func.func @f(%q: tensor<?x7x8xf32>, %k: tensor<?x8x7xf32>) -> tensor<?x7x7xf32> {
  %s = tensorops.matmul %q, %k : tensor<?x7x8xf32>, tensor<?x8x7xf32> -> tensor<?x7x7xf32>
  %d = tensorops.constant dense<8> : tensor<i64>
  %df = tensorops.cast %d : tensor<i64> -> tensor<f32>
  %r = tensorops.sqrt %df : tensor<f32>
  %y = tensorops.div %s, %r : tensor<?x7x7xf32>, tensor<f32> -> tensor<?x7x7xf32>
  func.return %y : tensor<?x7x7xf32>
}
"""


@pytest.mark.parametrize("small", [False, True])
def test_scores_divided_by_the_square_root_of_an_integer_head_size(small: bool) -> None:
    torch.manual_seed(2)
    args = [torch.randn(2, 7, 8), torch.randn(2, 8, 7)]
    got, want, module = run_both(SCALED_SCORES, "f", args, small)
    assert_close(got, want)


def test_reductions_mask_with_typed_identities() -> None:
    text = """
    func.func @f(%x: tensor<?x9xf16>, %i: tensor<?x9xi64>) -> (tensor<?xf16>, tensor<?xi64>) {
      %h = tensorops.constant dense<1.000000e-01> : tensor<f16>
      %y = tensorops.mul %x, %h : tensor<?x9xf16>, tensor<f16> -> tensor<?x9xf16>
      %m = tensorops.reduce_max %y axes [1] : tensor<?x9xf16> -> tensor<?xf16>
      %n = tensorops.reduce_min %i axes [1] : tensor<?x9xi64> -> tensor<?xi64>
      func.return %m, %n : tensor<?xf16>, tensor<?xi64>
    }
    """
    x = -torch.rand(5, 9).to(torch.float16) - 1  # every element below zero
    i = torch.full((5, 9), 2**62) + torch.arange(9)  # every element past int32
    got, want, _ = run_both(text, "f", [x, i], small=True)
    for g, w in zip(got, want):
        assert_same(g, w)


PROGRAM = """
model Scores(d: int, heads: int) {
    q = Linear(d, d)
    k = Linear(d, d)

    fn forward(x: f32[N, T, d]) -> f32[N, T, T] {
        let s = q(x) @ transpose(k(x), 1, 2)
        return softmax(s / sqrt(cast(full([], d / heads), f32)), axis=-1)
    }
}

model Constants(d: int) {
    fn forward(x: f32[N, T, d]) -> f32[N, T, d] {
        let a = x / 8 + x * cast(full([], 3), f32) - 2.5
        let b = where(x > 0, a, -0.5) + cast(cast(x, i64) + 3000000000, f32)
        return b + cast(cast(x, bool), f32) * cast(cast(x, f16) * 0.1, f32)
    }
}

let s = Scores(16, 2)
let c = Constants(16)
"""
"""A BERT-like attention score (scaled by the square root of an integer head size) and
pointwise arithmetic with constants of several types, in M."""


def test_m_programs_with_constants_match_the_reference(tmp_path: Path) -> None:
    program = tmp_path / "constants.m"
    program.write_text(PROGRAM)
    module = compile_file(str(program), SourceManager())
    torch.manual_seed(3)
    x = torch.randn(2, 5, 16) * 3
    for definition in (op for op in module.walk() if isinstance(op, DefOp)):
        params = {
            p.sym_name.data: init_parameter(p.init.data, tuple(p.param_type.get_shape()),
                                            p.scale.value.data)
            for p in definition.params
        }
        got = TritonBackend().compile(definition).run("forward", params, [x], RunOptions())
        want = ReferenceBackend().compile(definition).run("forward", params, [x], RunOptions())
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
