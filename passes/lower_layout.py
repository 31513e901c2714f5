"""`lower-layout`: layout, lookup, creation, reduction and loss ops to tensor ops.

In: model methods with `model.transpose permute reshape flatten concat slice one_hot
embedding`, tensor constants (`arith.constant dense<...>`, `model.zeros ones full
arange`), random samples (`model.randn rand`), reductions (`model.sum mean max min argmax`) and losses (`model.cross_entropy
mse`).
Out:

- `transpose` and `permute` are `tensorops.transpose`; `reshape` is `tensorops.reshape`;
  `flatten(x, s)` reshapes the dimensions from `s` into one;
- `concat` is `tensorops.concat`; `x[...]` is `tensorops.slice`, an integer index `i`
  taking `i:i+1`, and the indexed dimensions are then dropped with a reshape;
- such reshapes are `tensorops.reshape` when the result has at most one unknown size,
  else `tensorops.reshape_tail`, which keeps the leading dimensions as they are;
- `embedding(ids, w)` is `tensorops.gather %w[%ids]`; `one_hot(ids, n)` compares
  `ids` (given a trailing size-1 dimension) with the constant `[0, ..., n-1]`, then casts;
- constants and `zeros ones full arange` become `tensorops.constant`; `randn` and `rand`
  become `tensorops.random "normal"` and `"uniform"`, with their seed;
- reductions compute in the result's element type (`sum` of integers in i64, as PyTorch);
  `axis=none` reduces every axis (`argmax` of the flattened tensor);
- `cross_entropy(logits, labels)` is `-mean(sum(select(labels == c, log_softmax(logits),
  0), -1))`, where `c` is `iota` along the class axis of the logits (so the number of
  classes may be dynamic), and `mse(p, t)` is `mean((p - t) * (p - t))`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp, TensorType, i1, i8, i32, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model import functions as fn
from mlang.dialects.model import layers
from mlang.dialects.model.base import bool_prop, int_prop
from mlang.dialects.tensorops import (
    ArgmaxOp, ConcatOp, ConstantOp, EqOp, GatherOp, IotaOp, MulOp, NegOp, RandomOp, ReduceMaxOp,
    ReduceMeanOp, ReduceMinOp, ReduceSumOp, ReshapeOp, ReshapeTailOp, SelectOp, SliceOp, SubOp,
    TransposeOp,
)
from mlang.dialects.tensorops.base import normalize_axes, tensor_type
from mlang.passes.lower_activations import emit_log_softmax
from mlang.passes.lowering import (
    Lowering, ModelOpLowering, element, rank, rewrite_model_methods, shape,
)
from mlang.support.shapes import known_numel

Reduce = Callable[[SSAValue, int | None, bool], Operation]
"""A reduction's builder: input, axis (None: all of them), keepdim."""

REDUCTIONS: dict[type[Operation], Reduce] = {
    fn.SumOp: ReduceSumOp, fn.MeanOp: ReduceMeanOp, fn.MaxOp: ReduceMaxOp, fn.MinOp: ReduceMinOp,
}
FILLS: dict[type[Operation], float] = {fn.ZerosOp: 0.0, fn.OnesOp: 1.0}
"""The value of each creation op without a `value` property."""


def emit_reshape_from(b: Lowering, x: SSAValue, start: int, tail: Sequence[int]) -> SSAValue:
    """`x` with the dimensions from `start` reshaped to `tail` (-1: inferred), the leading
    ones kept: a `tensorops.reshape` if that can say it (one unknown size at most), else a
    `tensorops.reshape_tail`."""
    lead = [-1 if d is None else d for d in shape(x)[:start]]
    if [*lead, *tail].count(-1) <= 1:
        return b(ReshapeOp(x, [*lead, *tail]))
    return b(ReshapeTailOp(x, start, tail))


def emit_unsqueeze_last(b: Lowering, x: SSAValue) -> SSAValue:
    """`x` with a trailing dimension of size 1."""
    return emit_reshape_from(b, x, rank(x), [1])


def emit_reduce(
    b: Lowering, reduce: Reduce, x: SSAValue, axis: int | None = None, keepdim: bool = False
) -> SSAValue:
    """`reduce` over `axis` (every axis when None); a 0-d `x` is its own reduction."""
    return x if rank(x) == 0 else b(reduce(x, axis, keepdim))


def emit_one_hot_mask(b: Lowering, ids: SSAValue, classes: SSAValue) -> SSAValue:
    """`[*ids] -> [*ids, n]` booleans, true at each id, given `classes`, the i64 indices
    `[0, ..., n-1]` along a last dimension that broadcasts against `ids`."""
    return b(EqOp(emit_unsqueeze_last(b, b.cast(ids, i64)), classes))


class LowerTranspose(ModelOpLowering[fn.TransposeOp]):
    """`transpose(x, a, b)` -> `tensorops.transpose` swapping `a` and `b`."""

    source = fn.TransposeOp

    def lower(self, op: fn.TransposeOp, b: Lowering) -> SSAValue:
        order = list(range(rank(op.input)))
        d0, d1 = normalize_axes([op.dim0.value.data, op.dim1.value.data], len(order))
        order[d0], order[d1] = d1, d0
        return b(TransposeOp(op.input, order))


class LowerPermute(ModelOpLowering[fn.PermuteOp]):
    """`permute(x, dims)` -> `tensorops.transpose`."""

    source = fn.PermuteOp

    def lower(self, op: fn.PermuteOp, b: Lowering) -> SSAValue:
        return b(TransposeOp(op.input, op.dims.get_values()))


class LowerReshape(ModelOpLowering[fn.ReshapeOp]):
    """`model.reshape` -> `tensorops.reshape`."""

    source = fn.ReshapeOp

    def lower(self, op: fn.ReshapeOp, b: Lowering) -> SSAValue:
        return b(ReshapeOp(op.input, op.shape.get_values()))


class LowerFlatten(ModelOpLowering[fn.FlattenOp]):
    """`flatten(x, start)` -> a reshape of the dimensions from `start` into one."""

    source = fn.FlattenOp

    def lower(self, op: fn.FlattenOp, b: Lowering) -> SSAValue:
        (start,) = normalize_axes([op.start.value.data], rank(op.input))
        size = known_numel(shape(op.input)[start:])
        return emit_reshape_from(b, op.input, start, [-1 if size is None else size])


class LowerConcat(ModelOpLowering[fn.ConcatOp]):
    """`model.concat` -> `tensorops.concat`."""

    source = fn.ConcatOp

    def lower(self, op: fn.ConcatOp, b: Lowering) -> SSAValue:
        return b(ConcatOp(list(op.inputs), op.axis.value.data))


class LowerSlice(ModelOpLowering[fn.SliceOp]):
    """`x[...]` -> `tensorops.slice`, then a reshape that drops integer-indexed dimensions."""

    source = fn.SliceOp

    def lower(self, op: fn.SliceOp, b: Lowering) -> SSAValue:
        items = op.items()
        ranges = [_as_slice(item) for item in items]
        y = b(SliceOp(op.input, ranges))
        dropped = [i for i, item in enumerate(items) if isinstance(item, int)]
        if not dropped:
            return y
        kept = [-1 if d is None else d for d in shape(op.result)[dropped[0]:]]
        return emit_reshape_from(b, y, dropped[0], kept)


def _as_slice(item: int | slice) -> slice:
    """An index as the slice of length one that holds it (`-1` is `-1:`)."""
    if isinstance(item, slice):
        return item
    return slice(item, None if item == -1 else item + 1)


class LowerOneHot(ModelOpLowering[fn.OneHotOp]):
    """`one_hot(ids, n)` -> `ids[..., None] == [0, ..., n-1]`, cast to i64."""

    source = fn.OneHotOp

    def lower(self, op: fn.OneHotOp, b: Lowering) -> SSAValue:
        n = op.n.value.data
        classes = b(ConstantOp.from_values(TensorType(i64, [n]), list(range(n))))
        return b.cast(emit_one_hot_mask(b, op.ids, classes), element(op.result))


class LowerEmbedding(ModelOpLowering[layers.EmbeddingOp]):
    """`embedding(ids, weight)` -> `tensorops.gather %weight[%ids]`."""

    source = layers.EmbeddingOp

    def lower(self, op: layers.EmbeddingOp, b: Lowering) -> SSAValue:
        ids = op.ids if element(op.ids) in (i32, i64) else b.cast(op.ids, i64)
        return b(GatherOp(op.weight, ids))


class LowerTensorConstant(ModelOpLowering[arith.ConstantOp]):
    """`arith.constant dense<...> : tensor<...>` -> `tensorops.constant`."""

    source = arith.ConstantOp

    def lower(self, op: arith.ConstantOp, b: Lowering) -> SSAValue:
        if not isinstance(op.value, DenseIntOrFPElementsAttr):
            raise VerifyException(f"{op.value} is not a tensor constant")
        return b(ConstantOp(op.value))


class LowerCreation(ModelOpLowering[fn.CreationBase]):
    """`zeros`, `ones`, `full` -> a splat `tensorops.constant`; `arange` -> a dense one;
    `randn`, `rand` -> `tensorops.random`."""

    source = (fn.ZerosOp, fn.OnesOp, fn.FullOp, fn.ArangeOp, fn.RandnOp, fn.RandOp)

    def lower(self, op: fn.CreationBase, b: Lowering) -> SSAValue:
        t = tensor_type(op.result)
        if isinstance(op, (fn.RandnOp, fn.RandOp)):
            distribution = "normal" if isinstance(op, fn.RandnOp) else "uniform"
            return b(RandomOp(t, distribution, int_prop(op.seed)))
        if isinstance(op, fn.ArangeOp):
            return b(ConstantOp.from_values(t, list(range(t.get_shape()[0]))))
        value = op.value.value.data if isinstance(op, fn.FullOp) else FILLS[type(op)]
        return b.constant(value, t.element_type, t.get_shape())


class LowerReduction(ModelOpLowering[fn.ReductionBase]):
    """`sum`, `mean`, `max`, `min` -> their tensorops twins, in the result's element type
    (booleans through int8)."""

    source = tuple(REDUCTIONS)

    def lower(self, op: fn.ReductionBase, b: Lowering) -> SSAValue:
        reduce, axis, keepdim = REDUCTIONS[type(op)], int_prop(op.axis), bool_prop(op.keepdim)
        if element(op.result) == i1:  # `max` is any, `min` is all: tensorops reduce no i1
            return b.cast(emit_reduce(b, reduce, b.cast(op.input, i8), axis, keepdim), i1)
        return emit_reduce(b, reduce, b.cast(op.input, element(op.result)), axis, keepdim)


class LowerArgmax(ModelOpLowering[fn.ReductionBase]):
    """`argmax(x, axis)` -> `tensorops.argmax`; without an axis, of `x` flattened."""

    source = fn.ArgmaxOp

    def lower(self, op: fn.ReductionBase, b: Lowering) -> SSAValue:
        axis = int_prop(op.axis)
        if axis is None:
            return b(ArgmaxOp(b(ReshapeOp(op.input, [-1])), 0))
        return b(ArgmaxOp(op.input, axis, bool_prop(op.keepdim)))


class LowerCrossEntropy(ModelOpLowering[fn.CrossEntropyOp]):
    """`cross_entropy(logits, labels)` -> the mean negative log-likelihood of the labels."""

    source = fn.CrossEntropyOp

    def lower(self, op: fn.CrossEntropyOp, b: Lowering) -> SSAValue:
        logits = op.lhs
        log_p = emit_log_softmax(b, logits, -1)
        labels = emit_one_hot_mask(b, op.rhs, b(IotaOp(logits, -1)))
        picked = b(SelectOp(labels, log_p, b.constant(0, element(logits))))
        log_likelihood = b(ReduceSumOp(picked, -1))
        return b(NegOp(emit_reduce(b, ReduceMeanOp, log_likelihood)))


class LowerMse(ModelOpLowering[fn.MseOp]):
    """`mse(pred, target)` -> `mean((pred - target) * (pred - target))`."""

    source = fn.MseOp

    def lower(self, op: fn.MseOp, b: Lowering) -> SSAValue:
        diff = b(SubOp(op.lhs, b.cast(op.rhs, element(op.lhs))))
        return emit_reduce(b, ReduceMeanOp, b(MulOp(diff, diff)))


@dataclass(frozen=True)
class LowerLayoutPass(ModulePass):
    """Lowers layout, lookup, creation, reduction and loss ops in model methods."""

    name = "lower-layout"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = [
            LowerTranspose(), LowerPermute(), LowerReshape(), LowerFlatten(), LowerConcat(),
            LowerSlice(), LowerOneHot(), LowerEmbedding(), LowerTensorConstant(),
            LowerCreation(), LowerReduction(), LowerArgmax(), LowerCrossEntropy(), LowerMse(),
        ]
        rewrite_model_methods(op, patterns)
