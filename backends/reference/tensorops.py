"""The reference meaning of the tensorops dialect: each op evaluated directly with torch.

Registered in the evaluator's table (`evaluator.IMPLS`), so that the reference backend
runs tensor-level `model.def`s, such as the quantized definitions that `quantize()`
makes, one op at a time. Each function is the plainest statement of the op's meaning and
is written independently of the torch code generator, which it checks. Int8 arithmetic
follows `quantization`: the int8 product accumulates exactly (here in float64, which
holds every int8 dot product of up to 2**38 terms without rounding) and is returned as
int32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import torch
from xdsl.dialects.builtin import DYNAMIC_INDEX, TensorType
from xdsl.ir import Operation, SSAValue

from mlang.backends.reference import functional as F
from mlang.backends.reference import quantization as Q
from mlang.backends.reference.evaluator import (
    Args, EvalContext, impl, static_shape, torch_dtype,
)
from mlang.dialects import tensorops as T
from mlang.dialects.tensorops.sizes import RunSize
from mlang.dialects.model.base import int_prop



class Reduction(Protocol):
    """A torch reduction over some axes."""

    def __call__(self, x: torch.Tensor, /, *, dim: tuple[int, ...], keepdim: bool) -> torch.Tensor:
        """Reduces `x` over `dim`."""
        ...


UNARY: dict[type[T.UnaryOp], Callable[[torch.Tensor], torch.Tensor]] = {
    T.ExpOp: torch.exp, T.LogOp: torch.log, T.SqrtOp: torch.sqrt, T.RsqrtOp: torch.rsqrt,
    T.SinOp: torch.sin, T.CosOp: torch.cos, T.TanhOp: torch.tanh, T.ErfOp: torch.erf,
    T.SigmoidOp: torch.sigmoid, T.NegOp: torch.neg, T.AbsOp: torch.abs,
    T.NotOp: torch.logical_not,
}
BINARY: dict[type[T.BinaryOp], Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    T.AddOp: torch.add, T.SubOp: torch.sub, T.MulOp: torch.mul, T.DivOp: torch.div,
    T.PowOp: torch.pow, T.MaximumOp: torch.maximum, T.MinimumOp: torch.minimum,
    T.AndOp: torch.logical_and, T.OrOp: torch.logical_or, T.EqOp: torch.eq, T.NeOp: torch.ne,
    T.LtOp: torch.lt, T.LeOp: torch.le, T.GtOp: torch.gt, T.GeOp: torch.ge,
}
REDUCTIONS: dict[type[T.ReductionOp], Reduction] = {
    T.ReduceSumOp: torch.sum, T.ReduceMeanOp: torch.mean, T.ReduceMaxOp: torch.amax,
    T.ReduceMinOp: torch.amin,
}


def _sizes(op: Operation) -> list[int]:
    """The result's sizes, `?` as -1."""
    t = op.results[0].type
    assert isinstance(t, TensorType)
    return [-1 if d == DYNAMIC_INDEX else d for d in t.get_shape()]


@impl(*UNARY)
def _unary(op: T.UnaryOp, args: Args, ctx: EvalContext) -> object:
    return UNARY[type(op)](args[0])


@impl(*BINARY)
def _binary(op: T.BinaryOp, args: Args, ctx: EvalContext) -> object:
    return BINARY[type(op)](args[0], args[1])


@impl(T.SelectOp)
def _select(op: Operation, args: Args, ctx: EvalContext) -> object:
    return torch.where(*args)


@impl(T.CastOp)
def _cast(op: T.CastOp, args: Args, ctx: EvalContext) -> object:
    return args[0].to(torch_dtype(op.result.type))


@impl(T.DropoutOp)
def _dropout(op: T.DropoutOp, args: Args, ctx: EvalContext) -> object:
    return torch.nn.functional.dropout(args[0], op.p.value.data, ctx.training)


@impl(T.QuantizeOp)
def _quantize(op: Operation, args: Args, ctx: EvalContext) -> object:
    return Q.quantize(args[0], args[1])


@impl(T.DequantizeOp)
def _dequantize(op: T.DequantizeOp, args: Args, ctx: EvalContext) -> object:
    return args[0].to(args[1].dtype) * args[1]


@impl(T.MatmulOp)
def _matmul(op: Operation, args: Args, ctx: EvalContext) -> object:
    a, b = args
    if a.dtype == torch.int8:
        return Q.int8_matmul(a, b)
    return torch.matmul(a, b)


@impl(T.Conv2dOp)
def _conv2d(op: T.Conv2dOp, args: Args, ctx: EvalContext) -> object:
    stride, padding = op.stride.get_values(), op.padding.get_values()
    return torch.nn.functional.conv2d(args[0], args[1], stride=stride, padding=padding,
                                      dilation=op.dilation_values, groups=op.group_count)


@impl(T.BatchNormOp)
def _batch_norm(op: T.BatchNormOp, args: Args, ctx: EvalContext) -> object:
    x, weight, bias, mean, var, count = args
    return F.batch_norm(x, weight, bias, (mean, var, count), ctx.training,
                        op.momentum.value.data, op.eps.value.data)


@impl(T.MaxPool2dOp, T.AvgPool2dOp)
def _pool(op: T.Pool2dOp, args: Args, ctx: EvalContext) -> object:
    f = (torch.nn.functional.max_pool2d if isinstance(op, T.MaxPool2dOp)
         else torch.nn.functional.avg_pool2d)
    return f(args[0], op.kernel.get_values(), op.stride.get_values(), op.padding.get_values())


@impl(*REDUCTIONS)
def _reduce(op: T.ReductionOp, args: Args, ctx: EvalContext) -> object:
    axes, keep = tuple(op.axes.get_values()), op.keepdim is not None
    x = args[0]
    if isinstance(op, T.ReduceSumOp):
        return torch.sum(x, dim=axes, keepdim=keep, dtype=x.dtype)
    return REDUCTIONS[type(op)](x, dim=axes, keepdim=keep)


@impl(T.ArgmaxOp)
def _argmax(op: T.ArgmaxOp, args: Args, ctx: EvalContext) -> object:
    return torch.argmax(args[0], dim=op.axis.value.data, keepdim=op.keepdim is not None)


@impl(T.TransposeOp)
def _transpose(op: T.TransposeOp, args: Args, ctx: EvalContext) -> object:
    return args[0].permute(*op.permutation.get_values())


@impl(T.ReshapeOp)
def _reshape(op: Operation, args: Args, ctx: EvalContext) -> object:
    return args[0].reshape(_sizes(op))


@impl(T.ReshapeTailOp)
def _reshape_tail(op: T.ReshapeTailOp, args: Args, ctx: EvalContext) -> object:
    start = op.start.value.data
    return args[0].reshape(*args[0].shape[:start], *_sizes(op)[start:])


@impl(T.BroadcastToOp)
def _broadcast_to(op: Operation, args: Args, ctx: EvalContext) -> object:
    return args[0].broadcast_to(_sizes(op))


@impl(T.GatherOp)
def _gather(op: T.GatherOp, args: Args, ctx: EvalContext) -> object:
    pad = op.padding_idx
    return F.gather_rows(args[0], args[1], None if pad is None else pad.value.data)


@impl(T.ConcatOp)
def _concat(op: T.ConcatOp, args: Args, ctx: EvalContext) -> object:
    return torch.cat(args, dim=op.axis.value.data)


@impl(T.SliceOp)
def _slice(op: T.SliceOp, args: Args, ctx: EvalContext) -> object:
    return args[0][tuple(slice(*r) for r in op.ranges())]


@impl(T.ConstantOp)
def _constant(op: T.ConstantOp, args: Args, ctx: EvalContext) -> object:
    t = op.result.type
    return torch.tensor(op.values(), dtype=torch_dtype(t)).reshape(static_shape(t))


@impl(T.RandomOp)
def _random(op: T.RandomOp, args: Args, ctx: EvalContext) -> object:
    sample = F.randn if op.distribution.data == "normal" else F.rand
    return sample(static_shape(op.result.type), int_prop(op.seed))


@impl(T.CumsumOp)
def _cumsum(op: T.CumsumOp, args: Args, ctx: EvalContext) -> object:
    return torch.cumsum(args[0], op.axis.value.data, dtype=args[0].dtype)


@impl(T.TopkOp)
def _topk(op: T.TopkOp, args: Args, ctx: EvalContext) -> object:
    values, indices = torch.topk(args[0], op.k.value.data, dim=op.axis.value.data)
    return values, indices


@impl(T.TakeAlongOp)
def _take_along(op: T.TakeAlongOp, args: Args, ctx: EvalContext) -> object:
    return torch.gather(args[0], op.axis.value.data, args[1].long())


@impl(T.PadOp)
def _pad(op: T.PadOp, args: Args, ctx: EvalContext) -> object:
    x = args[0]
    for axis, (lo, hi) in enumerate(zip(op.low.get_values(), op.high.get_values())):
        x = F.pad_axis(x, axis, lo, hi, op.value.value.data)
    return x


@impl(T.IotaOp)
def _iota(op: T.IotaOp, args: Args, ctx: EvalContext) -> object:
    axis, ref = op.axis.value.data, args[0]
    sizes = [-1 if i == axis else 1 for i in range(ref.dim())]
    indices = torch.arange(ref.shape[axis], dtype=torch_dtype(op.result.type), device=ref.device)
    return indices.reshape(sizes)


def _run_sizes(sizes: Sequence[int | RunSize], args: Sequence[torch.Tensor],
               sources: Sequence[SSAValue]) -> list[int]:
    """`sizes` with each run-time size computed from the shape of its source in `args`
    (the op's operands `sources`, in order)."""
    shapes = {id(v): tuple(a.shape) for v, a in zip(sources, args)}
    return [s if isinstance(s, int) else s.apply(int(shapes[id(s.source)][s.axis]))
            for s in sizes]


@impl(T.ReshapeDynamicOp)
def _reshape_dynamic(op: T.ReshapeDynamicOp, args: Args, ctx: EvalContext) -> object:
    return args[0].reshape(_run_sizes(op.run_sizes(), args[1:], op.sources))


@impl(T.BroadcastDynamicOp)
def _broadcast_dynamic(op: T.BroadcastDynamicOp, args: Args, ctx: EvalContext) -> object:
    return args[0].expand(_run_sizes(op.run_sizes(), args[1:], op.sources))


@impl(T.FullDynamicOp)
def _full_dynamic(op: T.FullDynamicOp, args: Args, ctx: EvalContext) -> object:
    sizes = _run_sizes(op.run_sizes(), args, op.sources)
    return torch.full(sizes, op.value.value.data, dtype=torch_dtype(op.result.type),
                      device=args[0].device)


@impl(T.SliceDynamicOp)
def _slice_dynamic(op: T.SliceDynamicOp, args: Args, ctx: EvalContext) -> object:
    ranges = op.bounds()
    starts = _run_sizes([r[0] for r in ranges], args[1:], op.sources)
    stops = _run_sizes([r[1] for r in ranges], args[1:], op.sources)
    steps = [r[2] for r in ranges]
    return args[0][tuple(slice(*r) for r in zip(starts, stops, steps))]
