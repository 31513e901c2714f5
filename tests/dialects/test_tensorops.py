"""The tensorops dialect: builders and shape inference, verifier errors, and every op run
through the torch backend against a NumPy reference (to 1e-5 relative)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.stride_tricks import sliding_window_view
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, ModuleOp, TensorType, bf16, f16, f32, f64, i1, i8, i32, i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from mlang.backends.torch.codegen import compile_functions
from mlang.dialects import make_context
from mlang.dialects.tensorops import (
    ALL_OPS, COMPARE_OPS, SIZED_OPS, AbsOp, AddOp, AndOp, ArgmaxOp, AvgPool2dOp,
    BroadcastToOp, CastOp, ConcatOp, ConstantOp, Conv2dOp, CosOp, DequantizeOp, DivOp,
    BatchNormOp, DropoutOp, EqOp, ErfOp, ExpOp, GatherOp, GeOp, GtOp, IotaOp, LeOp, LogOp, LtOp,
    MatmulOp,
    MaximumOp, MaxPool2dOp, MinimumOp, MulOp, NegOp, NeOp, NotOp, OrOp, PowOp, QuantizeOp,
    RandomOp, ReduceMaxOp, ReduceMeanOp, ReduceMinOp, ReduceSumOp, ReshapeOp, ReshapeTailOp,
    RsqrtOp, SelectOp, SigmoidOp, SinOp, SliceOp, SqrtOp, SubOp, TanhOp, TransposeOp,
    channel_axis,
)
from mlang.dialects.tensorops.sizes import FullDynamicOp, ReshapeDynamicOp, SliceDynamicOp
from mlang.dialects.tensorops.indexing import CumsumOp, PadOp, TakeAlongOp, TopkOp

ELEMENTS: dict[str, Attribute] = {
    "float16": f16, "float32": f32, "float64": f64, "bool": i1, "int8": i8, "int32": i32,
    "int64": i64,
}
RNG = np.random.default_rng(0)
Build = Callable[..., Operation | Sequence[Operation]]


def tt(*shape: int | None, element: Attribute = f32) -> TensorType:
    """A tensor type; None is a dynamic size."""
    return TensorType(element, [DYNAMIC_INDEX if d is None else d for d in shape])


def args(*types: Attribute) -> tuple[SSAValue, ...]:
    """Fresh values of the given types."""
    return tuple(Block(arg_types=types).args)


def function(build: Build, types: Sequence[Attribute]) -> func.FuncOp:
    """`func.func @f` whose body is what `build` makes from its arguments."""
    block = Block(arg_types=types)
    built = build(*block.args)
    ops = [built] if isinstance(built, Operation) else list(built)
    result = ops[-1].results[0]
    block.add_ops([*ops, func.ReturnOp(result)])
    return func.FuncOp("f", (types, [result.type]), Region(block))


def run(build: Build, *inputs: np.ndarray, types: Sequence[Attribute] | None = None) -> np.ndarray:
    """Builds, verifies and round-trips a function, then runs it with the torch backend."""
    types = types or [TensorType(ELEMENTS[a.dtype.name], a.shape) for a in inputs]
    f = function(build, types)
    module = ModuleOp([f])
    module.verify()
    assert str(Parser(make_context(), str(module)).parse_module()) == str(module)
    compiled = compile_functions([f])["f"]
    out = compiled({}, *(torch.tensor(a) for a in inputs))
    return out.numpy()


def check(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal shape and dtype, values to 1e-5 relative."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def randn(*shape: int) -> np.ndarray:
    """Standard normal float32 values."""
    return np.asarray(RNG.standard_normal(shape), np.float32)


def ints(*shape: int, low: int = -9, high: int = 10, dtype: type = np.int32) -> np.ndarray:
    """Uniform integers in [low, high)."""
    return np.asarray(RNG.integers(low, high, shape), dtype)


# Shape inference, including dynamic sizes.


@pytest.mark.parametrize(
    "build, types, expected",
    [
        (AddOp, [tt(None, 4), tt(4)], "tensor<?x4xf32>"),
        (SubOp, [tt(None, 1), tt(3)], "tensor<?x3xf32>"),
        (LtOp, [tt(2, 1), tt(1, 3)], "tensor<2x3xi1>"),
        (SelectOp, [tt(None, 1, element=i1), tt(3), tt(1, 3)], "tensor<?x3xf32>"),
        (ExpOp, [tt(None)], "tensor<?xf32>"),
        (lambda x: CastOp(x, i8), [tt(None, 2)], "tensor<?x2xi8>"),
        (QuantizeOp, [tt(4, 3), tt(4, 1)], "tensor<4x3xi8>"),
        (DequantizeOp, [tt(4, 3, element=i8), tt(element=f16)], "tensor<4x3xf16>"),
        (MatmulOp, [tt(2, None, 8), tt(8, 3)], "tensor<2x?x3xf32>"),
        (MatmulOp, [tt(8), tt(8)], "tensor<f32>"),
        (MatmulOp, [tt(5, 1, 2, 8), tt(3, 8, 4)], "tensor<5x3x2x4xf32>"),
        (MatmulOp, [tt(8), tt(None, 8, 4)], "tensor<?x4xf32>"),
        (lambda x, w: Conv2dOp(x, w, (2, 2), (1, 1)), [tt(None, 3, 9, 9), tt(4, 3, 3, 3)],
         "tensor<?x4x5x5xf32>"),
        (lambda x: MaxPool2dOp(x, (2, 2)), [tt(1, 2, 7, None)], "tensor<1x2x3x?xf32>"),
        (lambda x: AvgPool2dOp(x, (3, 3), (1, 1), (1, 1)), [tt(2, 5, 5)], "tensor<2x5x5xf32>"),
        (lambda x: ReduceSumOp(x, -1, keepdim=True), [tt(None, 4, 5)], "tensor<?x4x1xf32>"),
        (lambda x: ReduceMeanOp(x), [tt(None, 4)], "tensor<f32>"),
        (lambda x: ReduceMaxOp(x, [2, 0]), [tt(2, 3, 4)], "tensor<3xf32>"),
        (lambda x: ArgmaxOp(x, -1), [tt(3, None)], "tensor<3xi64>"),
        (lambda x: TransposeOp(x, [-1, 0, 1]), [tt(2, None, 4)], "tensor<4x2x?xf32>"),
        (lambda x: ReshapeOp(x, [-1, 2]), [tt(6)], "tensor<3x2xf32>"),
        (lambda x: ReshapeOp(x, [-1, 3, 2]), [tt(None, 6)], "tensor<?x3x2xf32>"),
        (lambda x: ReshapeTailOp(x, 2, [4, 8]), [tt(None, None, 32)], "tensor<?x?x4x8xf32>"),
        (lambda x: ReshapeTailOp(x, 1, [-1]), [tt(None, None, 3)], "tensor<?x?xf32>"),
        (lambda x: ReshapeTailOp(x, 0, [-1, 2]), [tt(3, 4)], "tensor<6x2xf32>"),
        (lambda x: IotaOp(x, 2), [tt(None, 4, None, None)], "tensor<1x1x?x1xi64>"),
        (lambda x: IotaOp(x, -1, i32), [tt(3, 5)], "tensor<1x5xi32>"),
        (lambda x: DropoutOp(x, 0.1), [tt(None, 4)], "tensor<?x4xf32>"),
        (lambda x: BroadcastToOp(x, [2, -1, 4]), [tt(None, 1)], "tensor<2x?x4xf32>"),
        (lambda x: BroadcastToOp(x, [3, -1]), [tt(5)], "tensor<3x5xf32>"),
        (GatherOp, [tt(10, 4), tt(None, 2, element=i64)], "tensor<?x2x4xf32>"),
        (lambda a, b: ConcatOp([a, b], 0), [tt(2, None), tt(3, None)], "tensor<5x?xf32>"),
        (lambda a, b: ConcatOp([a, b], -1), [tt(2, None), tt(2, 3)], "tensor<2x?xf32>"),
        (lambda x: SliceOp(x, [slice(None), slice(1, None, 3)]), [tt(None, 8)],
         "tensor<?x3xf32>"),
        (lambda x: SliceOp(x, [slice(-3, -1)]), [tt(8, 2)], "tensor<2x2xf32>"),
        (lambda x: SliceOp(x, [slice(5, 100)]), [tt(8)], "tensor<3xf32>"),
        (lambda x: CumsumOp(x, -1), [tt(None, 4, element=i32)], "tensor<?x4xi32>"),
        (lambda x: TopkOp(x, 2, -1), [tt(None, 4)], "tensor<?x2xf32>"),
        (lambda x, i: TakeAlongOp(x, i, 0), [tt(5, 3), tt(2, None, element=i64)],
         "tensor<2x?xf32>"),
        (lambda x: PadOp(x, [(1, 2), (0, -1)], 0.0), [tt(None, 4)], "tensor<?x3xf32>"),
        (lambda x: PadOp(x, [(0, 0), (2, 0)], 0.0), [tt(None, None)], "tensor<?x?xf32>"),
    ],
)
def test_infers_result_type(build: Build, types: list[Attribute], expected: str) -> None:
    op = build(*args(*types))
    op.verify()
    assert str(op.results[0].type) == expected


@pytest.mark.parametrize(
    "build, types, message",
    [
        (AddOp, [tt(3), tt(4)], "tensorops.add: shapes [3] and [4] do not broadcast"),
        (MatmulOp, [tt(2, 3), tt(4, 5)], "tensorops.matmul: matrix product of [2, 3] and"),
        (lambda x: ReshapeOp(x, [4, -1]), [tt(6)], "tensorops.reshape: cannot reshape [6]"),
        (lambda x: TransposeOp(x, [0]), [tt(2, 3)], "tensorops.transpose: [0] is not a"),
        (lambda x: TransposeOp(x, [0, 2]), [tt(2, 3)], "tensorops.transpose: axis 2 is out"),
        (lambda x: ReduceSumOp(x, 2), [tt(2, 3)], "tensorops.reduce_sum: axis 2 is out of"),
        (lambda x: BroadcastToOp(x, [2]), [tt(3)], "tensorops.broadcast_to: cannot broadcast"),
        (lambda x: SliceOp(x, [slice(None, None, -1)]), [tt(3)], "steps must be positive"),
        (QuantizeOp, [tt(4, 3), tt(4, 3)], "tensorops.quantize: scale of shape [4, 3] varies"),
        (lambda x: MaxPool2dOp(x, (2, 2)), [tt(4, 4)], "expected a CHW or NCHW input"),
        (lambda x: ReshapeTailOp(x, 1, [5]), [tt(2, 6)], "tensorops.reshape_tail: cannot"),
        (lambda x: ReshapeTailOp(x, 3, [1]), [tt(2, 6)], "start 3 is out of range for rank 2"),
        (lambda x: IotaOp(x, 2), [tt(2, 6)], "tensorops.iota: axis 2 is out of range"),
    ],
)
def test_builder_rejects_bad_shapes(build: Build, types: list[Attribute], message: str) -> None:
    with pytest.raises(VerifyException, match=message.replace("[", r"\[")):
        build(*args(*types))


def test_verifier_checks_declared_result_type() -> None:
    x, y = args(tt(3, 1), tt(4))
    op = AddOp.create(operands=[x, y], result_types=[tt(3, 1)])
    with pytest.raises(VerifyException, match="does not match the inferred type"):
        op.verify()
    AddOp.create(operands=[x, y], result_types=[tt(None, 4)]).verify()


def test_dropout_probability_must_be_below_one() -> None:
    with pytest.raises(VerifyException, match=r"tensorops.dropout: p must be in \[0, 1\)"):
        DropoutOp(args(tt(3))[0], 1.0).verify()


def test_verifier_checks_element_types() -> None:
    x, y = args(tt(3), tt(3, element=f16))
    with pytest.raises(VerifyException, match="expected from variable 'E'"):
        AddOp(x, y).verify()
    with pytest.raises(VerifyException, match="Expected one of bf16, f16, f32, f64"):
        ExpOp(args(tt(3, element=i32))[0]).verify()


def test_channel_axis() -> None:
    w = tt(64, 32)
    assert channel_axis(w, tt()) is None
    assert channel_axis(w, tt(1, 1)) is None
    assert channel_axis(w, tt(64, 1)) == 0
    assert QuantizeOp(*args(w, tt(32))).channel_axis() == 1


def test_constant_values_and_splats() -> None:
    splat = ConstantOp.from_values(tt(2, 3), [1.5])
    dense = ConstantOp.from_values(tt(3, element=i1), [1, 0, 1])
    assert splat.splat_value() == 1.5 and splat.values() == (1.5,) * 6
    assert dense.splat_value() is None and dense.values() == (1, 0, 1)


# Every op, run through the torch backend and compared with NumPy.

UNARY_REFERENCES: dict[type[Operation], Callable[[np.ndarray], np.ndarray]] = {
    ExpOp: np.exp, LogOp: np.log, SqrtOp: np.sqrt, RsqrtOp: lambda x: 1 / np.sqrt(x),
    SinOp: np.sin, CosOp: np.cos, TanhOp: np.tanh,
    ErfOp: np.vectorize(math.erf, otypes=[np.float32]),
    SigmoidOp: lambda x: 1 / (1 + np.exp(-x)), NegOp: np.negative, AbsOp: np.abs,
}
BINARY_REFERENCES: dict[type[Operation], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    AddOp: np.add, SubOp: np.subtract, MulOp: np.multiply, DivOp: np.divide, PowOp: np.power,
    MaximumOp: np.maximum, MinimumOp: np.minimum, AndOp: np.logical_and, OrOp: np.logical_or,
    EqOp: np.equal, NeOp: np.not_equal, LtOp: np.less, LeOp: np.less_equal,
    GtOp: np.greater, GeOp: np.greater_equal,
}
REDUCTION_REFERENCES = {
    ReduceSumOp: np.sum, ReduceMeanOp: np.mean, ReduceMaxOp: np.max, ReduceMinOp: np.min,
}
TESTED: set[type[Operation]] = {
    *UNARY_REFERENCES, *BINARY_REFERENCES, *REDUCTION_REFERENCES, NotOp, ArgmaxOp, SelectOp,
    CastOp, QuantizeOp, DequantizeOp, MatmulOp, Conv2dOp, MaxPool2dOp, AvgPool2dOp,
    TransposeOp, ReshapeOp, BroadcastToOp, GatherOp, ConcatOp, SliceOp, ConstantOp,
    ReshapeTailOp, IotaOp, DropoutOp, RandomOp, BatchNormOp, *SIZED_OPS, CumsumOp, TopkOp,
    TakeAlongOp, PadOp,
}


def test_every_op_is_run() -> None:
    assert TESTED == set(ALL_OPS)


@pytest.mark.parametrize("op", list(UNARY_REFERENCES), ids=lambda op: op.name)
def test_unary(op: type[Operation]) -> None:
    x = np.abs(randn(3, 4)) + np.float32(0.1)
    if op not in (LogOp, SqrtOp, RsqrtOp):
        x = x * np.sign(randn(3, 4))
    expected = UNARY_REFERENCES[op](x).astype(np.float32)
    check(run(op, x), expected)
    check(run(op, x, types=[tt(None, 4)]), expected)


def test_unary_on_integers_and_booleans() -> None:
    i = ints(5)
    check(run(NegOp, i), -i)
    check(run(AbsOp, i), np.abs(i))
    b = RNG.random(5) < 0.5
    check(run(NotOp, b), ~b)


def _binary_inputs(op: type[Operation], shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """Operands for a binary op, in the domain where its reference is defined."""
    if op in (AndOp, OrOp):
        return [np.asarray(RNG.random(s) < 0.5) for s in shapes]
    if op is PowOp:
        return [np.abs(randn(*shapes[0])) + np.float32(0.5), randn(*shapes[1])]
    if op is DivOp:
        return [randn(*shapes[0]), np.abs(randn(*shapes[1])) + np.float32(0.5)]
    return [randn(*s) for s in shapes]


@pytest.mark.parametrize("op", list(BINARY_REFERENCES), ids=lambda op: op.name)
@settings(max_examples=12, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
def test_binary_broadcasting(op: type[Operation], shapes: hnp.BroadcastableShapes) -> None:
    lhs, rhs = _binary_inputs(op, shapes.input_shapes)
    check(run(op, lhs, rhs), BINARY_REFERENCES[op](lhs, rhs))


@pytest.mark.parametrize("op", [AddOp, SubOp, MulOp, MaximumOp, MinimumOp, *COMPARE_OPS])
def test_binary_on_integers(op: type[Operation]) -> None:
    lhs, rhs = ints(2, 3, dtype=np.int64), ints(3, dtype=np.int64)
    check(run(op, lhs, rhs), BINARY_REFERENCES[op](lhs, rhs))


def test_binary_with_dynamic_shapes() -> None:
    lhs, rhs = randn(5, 1), randn(3)
    check(run(AddOp, lhs, rhs, types=[tt(None, 1), tt(None)]), lhs + rhs)


@pytest.mark.parametrize("op", list(REDUCTION_REFERENCES) + [ArgmaxOp], ids=lambda op: op.name)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_reductions(op: type[Operation], data: st.DataObject) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    keepdim = data.draw(st.booleans())
    x = randn(*shape)
    if op is ArgmaxOp:
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        expected = np.argmax(x, axis=axis, keepdims=keepdim)
        check(run(lambda v: ArgmaxOp(v, axis, keepdim), x), expected)
        return
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    expected = REDUCTION_REFERENCES[op](x, axis=tuple(axes), keepdims=keepdim)
    check(run(lambda v: op(v, axes, keepdim), x), expected)


def test_integer_reductions_keep_element_type() -> None:
    x = ints(3, 4, dtype=np.int8)
    check(run(lambda v: ReduceSumOp(v, 1), x), np.sum(x, axis=1, dtype=np.int8))
    check(run(lambda v: ReduceMaxOp(v, 0), x), np.max(x, axis=0))
    check(run(lambda v: ReduceMinOp(v, [0, 1]), x), np.min(x))
    check(run(lambda v: ArgmaxOp(v, 1), x), np.argmax(x, axis=1))


def test_reduction_over_dynamic_dims() -> None:
    x = randn(5, 3)
    types = [tt(None, 3)]
    check(run(lambda v: ReduceMeanOp(v, 0, keepdim=True), x, types=types), x.mean(0, keepdims=True))


def test_select() -> None:
    cond, a, b = RNG.random((3, 1)) < 0.5, randn(4), randn(3, 4)
    check(run(SelectOp, cond, a, b), np.where(cond, a, b))


@pytest.mark.parametrize(
    "element, dtype", [(i8, np.int8), (i32, np.int32), (f64, np.float64), (i1, np.bool_)]
)
def test_cast(element: Attribute, dtype: type) -> None:
    x = randn(6) * np.float32(10)
    check(run(lambda v: CastOp(v, element), x), x.astype(dtype))


def test_cast_through_bfloat16() -> None:
    x = np.array([1.0, 1.00390625, 3.14159], np.float32)
    bits = x.view(np.uint32)
    nearest_even = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    expected = nearest_even.astype(np.uint32).view(np.float32)
    check(run(lambda v: [c := CastOp(v, bf16), CastOp(c.result, f32)], x), expected)


def test_quantize_rounds_half_to_even_and_clamps() -> None:
    x = np.array([[0.5, 1.5, 2.5, -2.5, 300.0, -300.0]], np.float32)
    scale = np.array([[1.0]], np.float32)
    check(run(QuantizeOp, x, scale), np.array([[0, 2, 2, -2, 127, -127]], np.int8))


def test_quantize_and_dequantize_per_channel() -> None:
    w, scale = randn(4, 6), np.abs(randn(4, 1)) / np.float32(50)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    check(run(QuantizeOp, w, scale), q)
    check(run(DequantizeOp, q, scale), q.astype(np.float32) * scale)


@pytest.mark.parametrize(
    "lhs, rhs", [((3, 4), (4, 5)), ((4,), (4,)), ((4,), (2, 4, 3)), ((2, 1, 3, 4), (5, 4, 2)),
                 ((2, 3, 4), (4,))],
)
def test_matmul(lhs: tuple[int, ...], rhs: tuple[int, ...]) -> None:
    a, b = randn(*lhs), randn(*rhs)
    check(run(MatmulOp, a, b), np.matmul(a, b))


def test_matmul_of_integers() -> None:
    a, b = ints(3, 4, dtype=np.int64), ints(4, 2, dtype=np.int64)
    check(run(MatmulOp, a, b), a @ b)


def _windows(x: np.ndarray, kernel: Sequence[int], stride: Sequence[int]) -> np.ndarray:
    """Sliding 2-d windows over the last two axes: `[..., H', W', kh, kw]`."""
    windows = sliding_window_view(x, tuple(kernel), axis=(-2, -1))
    return windows[..., :: stride[0], :: stride[1], :, :]


def _pad(x: np.ndarray, padding: Sequence[int], value: float) -> np.ndarray:
    """Pads the last two axes."""
    widths = [(0, 0)] * (x.ndim - 2) + [(p, p) for p in padding]
    return np.pad(x, widths, constant_values=value)


@pytest.mark.parametrize("stride, padding", [((1, 1), (0, 0)), ((2, 1), (1, 2))])
def test_conv2d(stride: tuple[int, int], padding: tuple[int, int]) -> None:
    x, w = randn(2, 3, 7, 6), randn(4, 3, 3, 2)
    windows = _windows(_pad(x, padding, 0.0), w.shape[2:], stride)
    expected = np.einsum("nchwij,ocij->nohw", windows, w)
    check(run(lambda a, b: Conv2dOp(a, b, stride, padding), x, w), expected)


def test_conv2d_groups_and_dilation() -> None:
    """Each group of channels convolved on its own, the kernel's taps two apart."""
    x, w = randn(2, 4, 9, 8), randn(6, 2, 3, 2)
    dilated = np.zeros((6, 2, 5, 3), dtype=np.float32)
    dilated[:, :, ::2, ::2] = w
    groups = [np.einsum("nchwij,ocij->nohw", _windows(_pad(x[:, 2 * g:2 * g + 2], (1, 1), 0.0),
                                                      (5, 3), (1, 1)), dilated[3 * g:3 * g + 3])
              for g in range(2)]
    actual = run(lambda a, b: Conv2dOp(a, b, (1, 1), (1, 1), (2, 2), 2), x, w)
    check(actual, np.concatenate(groups, axis=1))


def test_batch_norm_uses_running_statistics_and_updates_them_while_training() -> None:
    x, w, b = randn(4, 3, 5), randn(3), randn(3)
    mean, var = randn(3), np.abs(randn(3)) + 0.5
    types = [TensorType(f32, a.shape) for a in (x, w, b, mean, var)] + [TensorType(i64, [])]
    f = function(lambda *v: BatchNormOp(v[0], tuple(v[1:]), 1e-5, 0.1), types)
    compiled = compile_functions([f])["f"]
    stats = [torch.tensor(mean), torch.tensor(var), torch.tensor(0)]
    inputs = [torch.tensor(a) for a in (x, w, b)]
    column = (slice(None), None)
    expected = (x - mean[column]) / np.sqrt(var[column] + 1e-5) * w[column] + b[column]
    check(compiled({}, *inputs, *stats).numpy(), expected)
    compiled({}, *inputs, *stats, training=True)
    batch = x.transpose(1, 0, 2).reshape(3, -1)
    np.testing.assert_allclose(stats[0].numpy(), 0.9 * mean + 0.1 * batch.mean(1), rtol=1e-5)
    np.testing.assert_allclose(stats[1].numpy(), 0.9 * var + 0.1 * batch.var(1, ddof=1),
                               rtol=1e-5)
    assert stats[2].item() == 1


@pytest.mark.parametrize(
    "op, reduce, pad", [(MaxPool2dOp, np.max, -np.inf), (AvgPool2dOp, np.mean, 0.0)]
)
@pytest.mark.parametrize(
    "kernel, stride, padding", [((2, 2), (2, 2), (0, 0)), ((3, 2), (1, 2), (1, 1))]
)
def test_pool2d(
    op: type[Operation],
    reduce: Callable[..., np.ndarray],
    pad: float,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> None:
    x = randn(2, 3, 7, 6)
    windows = _windows(_pad(x, padding, pad), kernel, stride)
    expected = reduce(windows, axis=(-2, -1)).astype(np.float32)
    check(run(lambda v: op(v, kernel, stride, padding), x), expected)


def test_transpose() -> None:
    x = randn(2, 3, 4)
    check(run(lambda v: TransposeOp(v, [2, 0, 1]), x), np.transpose(x, (2, 0, 1)))


def test_reshape() -> None:
    x = randn(4, 6)
    check(run(lambda v: ReshapeOp(v, [2, -1, 3]), x), x.reshape(2, -1, 3))
    check(run(lambda v: ReshapeOp(v, [-1, 3, 2]), x, types=[tt(None, 6)]), x.reshape(-1, 3, 2))


def test_reshape_tail_keeps_dynamic_leading_dimensions() -> None:
    x = randn(2, 3, 8)
    split = run(lambda v: ReshapeTailOp(v, 2, [4, -1]), x, types=[tt(None, None, 8)])
    check(split, x.reshape(2, 3, 4, 2))
    merged = run(lambda v: ReshapeTailOp(v, 1, [-1]), x, types=[tt(None, None, 8)])
    check(merged, x.reshape(2, 24))


def test_sized_ops_read_run_time_sizes_from_shapes() -> None:
    x, ids = randn(2, 3, 8), ints(2, 5, dtype=np.int64)
    dynamic = [tt(None, None, 8), tt(None, None, element=i64)]
    split = run(lambda v, s: ReshapeDynamicOp(v, [(s, 0), 3, (s, 1), -1]),
                x, ids[:, :4], types=dynamic)
    check(split, x.reshape(2, 3, 4, 2))
    ones = run(lambda v, s: FullDynamicOp([(s, 1), 2], 1.0, f32), x, ids, types=dynamic)
    check(ones, np.ones((5, 2), dtype=np.float32))
    head = run(lambda v, s: SliceDynamicOp(v, [(0, 2**63 - 1, 1), ((s, 0), (s, 1), 1),
                                               (0, 2**63 - 1, 3)]), x, ids[:, :3], types=dynamic)
    check(head, x[:, 2:3, ::3])


def test_iota() -> None:
    x = randn(2, 3, 4)
    check(run(lambda v: IotaOp(v, 1), x), np.arange(3).reshape(1, 3, 1))
    check(run(lambda v: IotaOp(v, -1, i32), x, types=[tt(None, None, None)]),
          np.arange(4, dtype=np.int32).reshape(1, 1, 4))


def test_dropout_follows_the_training_flag() -> None:
    f = function(lambda v: DropoutOp(v, 0.25), [tt(None, 64)])
    compiled = compile_functions([f])["f"]
    x = torch.rand(64, 64) + 1.0
    assert torch.equal(compiled({}, x), x)
    trained = compiled({}, x, training=True)
    kept = trained != 0
    torch.testing.assert_close(trained[kept], x[kept] / 0.75)
    assert 0.15 < 1.0 - kept.float().mean().item() < 0.35


@pytest.mark.parametrize(("distribution", "sample"), [("normal", torch.randn),
                                                      ("uniform", torch.rand)])
def test_random_draws_what_torch_draws(distribution: str, sample: Callable) -> None:
    """A seeded sample is the one a generator with that seed gives; an unseeded one comes
    from the global generator, so that `torch.manual_seed` fixes it."""
    seeded = run(lambda v: RandomOp(tt(2, 3), distribution, 5), randn(1))
    expected = sample((2, 3), generator=torch.Generator().manual_seed(5))
    np.testing.assert_array_equal(seeded, expected.numpy())
    torch.manual_seed(11)
    fresh = run(lambda v: RandomOp(tt(4), distribution), randn(1))
    torch.manual_seed(11)
    np.testing.assert_array_equal(fresh, sample(4).numpy())
    assert not np.array_equal(fresh, seeded.ravel()[:4])


def test_broadcast_to() -> None:
    x = randn(3, 1)
    check(run(lambda v: BroadcastToOp(v, [2, 3, 4]), x), np.broadcast_to(x, (2, 3, 4)))
    check(
        run(lambda v: BroadcastToOp(v, [2, -1, 4]), x, types=[tt(None, 1)]),
        np.broadcast_to(x, (2, 3, 4)),
    )


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_gather(dtype: type) -> None:
    table, ids = randn(10, 4), ints(2, 3, low=0, high=10, dtype=dtype)
    check(run(GatherOp, table, ids), table[ids])
    cube = randn(10, 2, 3)
    check(run(GatherOp, cube, ids), cube[ids])


@pytest.mark.parametrize("shape", [(10, 4), (10, 2, 3)])
def test_gather_rejects_an_id_out_of_range(shape: tuple[int, ...]) -> None:
    """A negative id is an error, as in PyTorch's embedding (indexing wrapped it around)."""
    with pytest.raises(IndexError, match="index out of range"):
        run(GatherOp, randn(*shape), np.array([0, -1]))


def test_concat() -> None:
    a, b, c = randn(2, 3), randn(2, 1), randn(2, 2)
    check(run(lambda *v: ConcatOp(v, -1), a, b, c), np.concatenate([a, b, c], axis=-1))


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_slice(data: st.DataObject) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    bound = st.none() | st.integers(-7, 7)
    slices = [
        slice(data.draw(bound), data.draw(bound), data.draw(st.none() | st.integers(1, 3)))
        for _ in shape
    ]
    x = randn(*shape)
    check(run(lambda v: SliceOp(v, slices), x), x[tuple(slices)])
    dynamic = [tt(*[None] * len(shape))]
    check(run(lambda v: SliceOp(v, slices), x, types=dynamic), x[tuple(slices)])


@pytest.mark.parametrize(
    "type, values, expected",
    [
        (tt(2, 3), [0.25], np.full((2, 3), 0.25, np.float32)),
        (tt(), [1e-5], np.array(1e-5, np.float32)),
        (tt(2, 2, element=i64), [1, 2, 3, 4], np.array([[1, 2], [3, 4]], np.int64)),
        (tt(3, element=i1), [1, 0, 1], np.array([True, False, True])),
        (tt(3), [math.inf, -math.inf, 1.0], np.array([math.inf, -math.inf, 1.0], np.float32)),
        (tt(0, 2), [], np.zeros((0, 2), np.float32)),
    ],
)
def test_constant(type: TensorType, values: list[float], expected: np.ndarray) -> None:
    check(run(lambda: ConstantOp.from_values(type, values)), expected)


# Indexing ops.


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_cumsum(dtype: type) -> None:
    x = ints(3, 5, dtype=dtype)
    check(run(lambda v: CumsumOp(v, 1), x), np.cumsum(x, axis=1, dtype=dtype))
    check(run(lambda v: CumsumOp(v, -2), x, types=[tt(None, 5, element=ELEMENTS[x.dtype.name])]),
          np.cumsum(x, axis=0, dtype=dtype))


def test_topk_values_and_indices() -> None:
    x = randn(3, 6)
    order = np.argsort(-x, axis=1, kind="stable")[:, :2]
    check(run(lambda v: TopkOp(v, 2, 1), x), np.take_along_axis(x, order, 1))

    def indices(v: SSAValue) -> list[Operation]:
        top = TopkOp(v, 2, -1)
        return [top, CastOp(top.indices, i64)]

    check(run(indices, x), order)


def test_topk_rejects_k_past_the_size() -> None:
    with pytest.raises(VerifyException, match=r"tensorops.topk: k \(5\) is larger than"):
        TopkOp(args(tt(3, 4))[0], 5, 1)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_take_along(axis: int) -> None:
    x, ids = randn(4, 5), ints(3, 2, low=0, high=4, dtype=np.int64)
    # torch.gather reads only the index's extent of the other dimensions.
    within = tuple(slice(None) if d == axis % 2 else slice(n) for d, n in enumerate(ids.shape))
    expected = np.take_along_axis(x[within], ids, axis)
    check(run(lambda v, i: TakeAlongOp(v, i, axis), x, ids), expected)


def test_take_along_rejects_another_rank() -> None:
    with pytest.raises(VerifyException, match="must have the rank of the input"):
        TakeAlongOp(*args(tt(3, 4), tt(3, element=i64)), 0)


@pytest.mark.parametrize("pairs", [[(1, 2), (0, 0)], [(0, 0), (2, -1)], [(-1, 1), (3, 0)]])
def test_pad(pairs: list[tuple[int, int]]) -> None:
    x = randn(3, 4)
    crop = tuple(slice(max(-lo, 0), x.shape[i] - max(-hi, 0)) for i, (lo, hi) in
                 enumerate(pairs))
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    expected = np.pad(x[crop], grow, constant_values=1.5)
    check(run(lambda v: PadOp(v, pairs, 1.5), x), expected)
    check(run(lambda v: PadOp(v, pairs, 1.5), x, types=[tt(None, 4)]), expected)
