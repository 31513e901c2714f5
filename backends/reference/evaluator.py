"""The reference backend: model-level ops evaluated one at a time with `functional`.

It favours plain clarity over speed: a table maps each op class to a function of the op
and its operand values. The host interpreter uses the same table for the tensor ops of
`func.func @main`, so there is one definition of what each op means. The ops of the
`tensorops` dialect are in the table too (`reference/tensorops.py`), so that tensor-level
definitions (quantized models) run here as well.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr, FloatAttr, IntegerAttr, IntegerType, TensorType,
    UnrankedTensorType,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from mlang.dialects.model.structure import symbol_name
from mlang.backends.reference import attention
from mlang.backends.reference import functional as F
from mlang.dialects.model import attention as A
from mlang.dialects.model import functions as fn
from mlang.dialects.model import indexing as ix
from mlang.dialects.model import layers as L
from mlang.dialects.model.base import bool_prop, int_prop
from mlang.dialects.model.structure import GetParamOp
from mlang.dialects.model.types import dtype_name
from mlang.support.diagnostics import UserError


@dataclass
class EvalContext:
    """What evaluation needs besides operands: parameters and the training flag."""

    params: Mapping[str, torch.Tensor]
    training: bool = False


Args = list[Any]
"""An op's operand values: tensors, and in `@main` host numbers and lists too. Each op's
verifier fixes which its operands are, so its function reads them as those types."""

Impl = Callable[[Operation, Args, EvalContext], object]
IMPLS: dict[type[Operation], Impl] = {}

OpT = TypeVar("OpT", bound=Operation)
OpImpl = Callable[[OpT, Args, EvalContext], object]


def impl(*ops: type[OpT]) -> Callable[[OpImpl[OpT]], OpImpl[OpT]]:
    """Registers the meaning of one or more op classes."""

    def register(f: OpImpl[OpT]) -> OpImpl[OpT]:
        def typed(op: Operation, args: Args, ctx: EvalContext) -> object:
            assert isinstance(op, ops)  # the table is keyed by the op's class
            return f(op, args, ctx)

        for op in ops:
            IMPLS[op] = typed
        return f

    return register


def torch_dtype(t: Attribute) -> torch.dtype:
    """The torch dtype of a tensor type's elements."""
    assert isinstance(t, (TensorType, UnrankedTensorType))
    return F.DTYPES[dtype_name(t.element_type)]


def static_shape(t: Attribute) -> list[int]:
    """The static shape of a tensor type."""
    assert isinstance(t, TensorType)
    return list(t.get_shape())


# ------------------------------------------------------------------------ evaluation


def run_function(f: func.FuncOp, args: Sequence[object], ctx: EvalContext) -> list[object]:
    """Evaluates a method and returns its results."""
    env: dict[SSAValue, object] = dict(zip(f.body.block.args, args))
    return run_block(f.body.block, env, ctx)


def run_block(block: Block, env: dict[SSAValue, object], ctx: EvalContext) -> list[object]:
    """Evaluates the ops of a block in order; returns the operands of its `func.return`."""
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            return [env[v] for v in op.arguments]
        evaluate(op, env, ctx)
    return []


def evaluate(op: Operation, env: dict[SSAValue, object], ctx: EvalContext) -> None:
    """Evaluates one op, storing its results in `env`."""
    f = IMPLS.get(type(op))
    if f is None:
        raise NotImplementedError(f"the reference backend cannot evaluate {op.name}")
    value = f(op, [env[v] for v in op.operands], ctx)
    if len(op.results) == 1:
        env[op.results[0]] = value
    elif op.results:
        assert isinstance(value, tuple | list)  # a multi-result op's function returns one
        for r, v in zip(op.results, value):
            env[r] = v


# --------------------------------------------------------------------- structure


@impl(GetParamOp)
def _get_param(op: GetParamOp, args: Args, ctx: EvalContext) -> object:
    return ctx.params[symbol_name(op.param)]


@impl(arith.ConstantOp)
def _constant(op: arith.ConstantOp, args: Args, ctx: EvalContext) -> object:
    value = op.value
    if isinstance(value, DenseIntOrFPElementsAttr):
        data = list(value.get_values())
        t = op.result.type
        dtype = torch_dtype(t)
        if dtype == torch.bool:
            data = [bool(v) for v in data]
        return torch.tensor(data, dtype=dtype).reshape(static_shape(t))
    if isinstance(value, IntegerAttr):
        v = value.value.data
        is_bool = isinstance(value.type, IntegerType) and value.type.width.data == 1
        return bool(v) if is_bool else v
    assert isinstance(value, FloatAttr)
    return float(value.value.data)


# ------------------------------------------------------------------------- layers


@impl(L.LinearOp)
def _linear(op: Operation, args: Args, ctx: EvalContext) -> object:
    return F.linear(args[0], args[1], args[2] if len(args) > 2 else None)


@impl(L.Conv1dOp, L.Conv2dOp)
def _conv(op: L.ConvBase, args: Args, ctx: EvalContext) -> object:
    bias = args[2] if len(args) > 2 else None
    return F.conv(args[0], args[1], bias, op.geometry)


@impl(L.EmbeddingOp)
def _embedding(op: L.EmbeddingOp, args: Args, ctx: EvalContext) -> object:
    pad = op.padding_idx
    return F.embedding(args[0], args[1], None if pad is None else pad.value.data)


@impl(L.LayerNormOp)
def _layer_norm(op: L.LayerNormOp, args: Args, ctx: EvalContext) -> object:
    bias = args[2] if len(args) > 2 else None
    return F.layer_norm(args[0], args[1], bias, eps=op.eps.value.data)


@impl(L.BatchNormOp)
def _batch_norm(op: L.BatchNormOp, args: Args, ctx: EvalContext) -> object:
    x, weight, bias, mean, var, count = args
    return F.batch_norm(x, weight, bias, (mean, var, count), ctx.training,
                        op.momentum.value.data, op.eps.value.data)


@impl(L.GroupNormOp)
def _group_norm(op: L.GroupNormOp, args: Args, ctx: EvalContext) -> object:
    x, weight, bias = args
    return F.group_norm(x, weight, bias, op.groups.value.data, op.eps.value.data)


@impl(L.AdaptiveAvgPool2dOp)
def _adaptive_avg_pool2d(op: L.AdaptiveAvgPool2dOp, args: Args, ctx: EvalContext) -> object:
    return F.adaptive_avg_pool2d(args[0], op.output_size)


@impl(L.RmsNormOp)
def _rms_norm(op: L.RmsNormOp, args: Args, ctx: EvalContext) -> object:
    x, weight = args
    return F.rms_norm(x, weight, eps=op.eps.value.data)


@impl(L.AttentionOp)
def _attention(op: L.AttentionOp, args: Args, ctx: EvalContext) -> object:
    x, q_w, q_b, k_w, k_b, v_w, v_b, out_w, out_b, *mask = args
    return F.attention(x, q_w, q_b, k_w, k_b, v_w, v_b, out_w, out_b,
                       heads=op.heads.value.data, causal=op.is_causal,
                       mask=mask[0] if mask else None)


@impl(A.SdpaOp)
def _sdpa(op: A.SdpaOp, args: Args, ctx: EvalContext) -> object:
    q, k, v, *mask = args
    return attention.sdpa(q, k, v, mask[0] if mask else None, op.scale.value.data,
                          op.is_causal)


@impl(A.RopeOp)
def _rope(op: A.RopeOp, args: Args, ctx: EvalContext) -> object:
    return attention.rope(args[0], args[1], op.theta.value.data)


@impl(A.GeluTanhOp)
def _gelu_tanh(op: A.GeluTanhOp, args: Args, ctx: EvalContext) -> object:
    return attention.gelu_tanh(args[0])


@impl(L.DropoutOp)
def _dropout(op: L.DropoutOp, args: Args, ctx: EvalContext) -> object:
    return F.dropout(args[0], op.p.value.data, ctx.training)


@impl(L.MaxPool2dOp, L.AvgPool2dOp)
def _pool(op: L.Pool2dBase, args: Args, ctx: EvalContext) -> object:
    f = F.max_pool2d if isinstance(op, L.MaxPool2dOp) else F.avg_pool2d
    return f(args[0], op.kernel.value.data, op.stride.value.data, op.pad)


# ---------------------------------------------------------------------- functions

UNARY = {"neg": F.neg, "not": F.logical_not}
BINARY = {"and": F.logical_and, "or": F.logical_or}


def on_host_scalars(f: Callable[..., object]) -> Callable[..., object]:
    """Lets a tensor function take host scalars: they become 0-d tensors and the result
    a Python number again, so host arithmetic follows PyTorch's rules too."""

    def wrapped(*args: object) -> object:
        if any(isinstance(a, torch.Tensor) for a in args):
            return f(*args)
        result = f(*[torch.tensor(a, dtype=torch.float64 if isinstance(a, float) else None)
                     for a in args])
        assert isinstance(result, torch.Tensor)  # tensors in, a tensor out
        return result.item()

    return wrapped


def _unary_impl(name: str) -> Impl:
    f = on_host_scalars(UNARY.get(name) or F.TENSOR_FUNCTIONS[name])
    return lambda op, args, ctx: f(args[0])


def _binary_impl(name: str) -> Impl:
    f = on_host_scalars(BINARY.get(name) or getattr(F, name))
    return lambda op, args, ctx: f(args[0], args[1])


for _name, _cls in fn.UNARY_OPS.items():
    IMPLS[_cls] = _unary_impl(_name)
for _name, _binary_cls in fn.BINARY_OPS.items():
    IMPLS[_binary_cls] = _binary_impl(_name)


@impl(fn.MatmulOp)
def _matmul(op: Operation, args: Args, ctx: EvalContext) -> object:
    return F.matmul(*args)


@impl(*fn.REDUCTION_OPS.values())
def _reduce(op: fn.ReductionBase, args: Args, ctx: EvalContext) -> object:
    name = op.name.removeprefix("model.")
    if name == "argmax":
        return F.argmax(args[0], int_prop(op.axis))
    return getattr(F, name)(args[0], int_prop(op.axis), bool_prop(op.keepdim))


@impl(fn.SoftmaxOp, fn.LogSoftmaxOp)
def _softmax(op: fn.SoftmaxBase, args: Args, ctx: EvalContext) -> object:
    f = F.softmax if isinstance(op, fn.SoftmaxOp) else F.log_softmax
    return f(args[0], op.axis.value.data)


@impl(fn.TransposeOp)
def _transpose(op: fn.TransposeOp, args: Args, ctx: EvalContext) -> object:
    return F.transpose(args[0], op.dim0.value.data, op.dim1.value.data)


@impl(fn.PermuteOp)
def _permute(op: fn.PermuteOp, args: Args, ctx: EvalContext) -> object:
    return F.permute(args[0], list(op.dims.get_values()))


@impl(fn.ReshapeOp)
def _reshape(op: fn.ReshapeOp, args: Args, ctx: EvalContext) -> object:
    return F.reshape(args[0], list(op.shape.get_values()))


@impl(fn.FlattenOp)
def _flatten(op: fn.FlattenOp, args: Args, ctx: EvalContext) -> object:
    return F.flatten(args[0], op.start.value.data)


@impl(fn.ConcatOp)
def _concat(op: fn.ConcatOp, args: Args, ctx: EvalContext) -> object:
    return F.concat(args, op.axis.value.data)


@impl(fn.SliceOp)
def _slice(op: fn.SliceOp, args: Args, ctx: EvalContext) -> object:
    x = args[0]
    items = op.items()
    for dim, (size, item) in enumerate(zip(x.shape, items)):
        if isinstance(item, int) and not -size <= item < size:
            raise UserError(f"index {item} is out of range for dimension {dim} of size {size}")
    return x[tuple(items)]


@impl(fn.WhereOp)
def _where(op: Operation, args: Args, ctx: EvalContext) -> object:
    return F.where(*args)


@impl(fn.ClampOp)
def _clamp(op: fn.ClampOp, args: Args, ctx: EvalContext) -> object:
    return F.clamp(args[0], op.lo.value.data, op.hi.value.data)


@impl(fn.CastOp)
def _cast(op: fn.CastOp, args: Args, ctx: EvalContext) -> object:
    return args[0].to(torch_dtype(op.result.type))


@impl(fn.OneHotOp)
def _one_hot(op: fn.OneHotOp, args: Args, ctx: EvalContext) -> object:
    return F.one_hot(args[0], op.n.value.data)


@impl(ix.TrilOp, ix.TriuOp)
def _triangle(op: ix.TriangleBase, args: Args, ctx: EvalContext) -> object:
    f = F.tril if isinstance(op, ix.TrilOp) else F.triu
    return f(args[0], op.k.value.data)


@impl(ix.CumsumOp)
def _cumsum(op: ix.CumsumOp, args: Args, ctx: EvalContext) -> object:
    return F.cumsum(args[0], op.axis.value.data).to(torch_dtype(op.result.type))


@impl(ix.TopkOp)
def _topk(op: ix.TopkOp, args: Args, ctx: EvalContext) -> object:
    return F.topk(args[0], op.k.value.data, op.axis.value.data)


@impl(ix.GatherOp)
def _gather(op: ix.GatherOp, args: Args, ctx: EvalContext) -> object:
    return F.gather(args[0], op.axis.value.data, args[1])


@impl(ix.UnsqueezeOp, ix.SqueezeOp)
def _unsqueeze(op: ix.AxisOpBase, args: Args, ctx: EvalContext) -> object:
    f = F.unsqueeze if isinstance(op, ix.UnsqueezeOp) else F.squeeze
    return f(args[0], op.axis.value.data)


@impl(ix.ExpandOp)
def _expand(op: ix.ExpandOp, args: Args, ctx: EvalContext) -> object:
    return F.expand(args[0], list(op.shape.get_values()))


@impl(ix.RepeatInterleaveOp)
def _repeat_interleave(op: ix.RepeatInterleaveOp, args: Args, ctx: EvalContext) -> object:
    return F.repeat_interleave(args[0], op.n.value.data, op.axis.value.data)


@impl(ix.PadOp)
def _pad(op: ix.PadOp, args: Args, ctx: EvalContext) -> object:
    x = args[0]
    for axis, (before, after) in enumerate(op.pairs()):
        x = F.pad_axis(x, axis, before, after, op.value.value.data)
    return x


@impl(fn.ZerosOp, fn.OnesOp, fn.FullOp, fn.ArangeOp, fn.RandnOp, fn.RandOp)
def _create(op: fn.CreationBase, args: Args, ctx: EvalContext) -> object:
    t = op.result.type
    shape = static_shape(t)
    if isinstance(op, fn.FullOp):
        return torch.full(shape, op.value.value.data, dtype=torch_dtype(t))
    if isinstance(op, fn.ArangeOp):
        return F.arange(shape[0])
    if isinstance(op, (fn.RandnOp, fn.RandOp)):
        sample = F.randn if isinstance(op, fn.RandnOp) else F.rand
        return sample(shape, int_prop(op.seed))
    fill = F.zeros if isinstance(op, fn.ZerosOp) else F.ones
    return fill(shape).to(torch_dtype(t))


@impl(fn.CrossEntropyOp)
def _cross_entropy(op: Operation, args: Args, ctx: EvalContext) -> object:
    return F.cross_entropy(*args)


@impl(fn.MseOp)
def _mse(op: Operation, args: Args, ctx: EvalContext) -> object:
    return F.mse(*args)


@impl(fn.ShapeOp)
def _shape(op: Operation, args: Args, ctx: EvalContext) -> object:
    return F.shape(args[0])


# The tensorops dialect registers its ops in `IMPLS` (it imports this module's `impl`).
from mlang.backends.reference import tensorops as _tensorops  # noqa: E402, F401
