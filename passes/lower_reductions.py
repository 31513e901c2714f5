"""`lower-reductions`: reductions and losses to tensor ops.

In: model methods with reductions (`model.sum mean max min argmax`) and losses
(`model.cross_entropy mse`), which are means over a batch.
Out:

- reductions compute in the result's element type (`sum` of integers in i64, as PyTorch);
  `axis=none` reduces every axis (`argmax` of the flattened tensor);
- `cross_entropy(logits, labels)` is `-mean(sum(select(labels == c, log_softmax(logits),
  0), -1))`, where `c` is `iota` along the class axis of the logits (so the number of
  classes may be dynamic), and `mse(p, t)` is `mean((p - t) * (p - t))`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, i1, i8
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import functions as fn
from mlang.dialects.model.base import bool_prop, int_prop
from mlang.dialects.tensorops import (
    ArgmaxOp, IotaOp, MulOp, NegOp, ReduceMaxOp, ReduceMeanOp, ReduceMinOp, ReduceSumOp,
    ReshapeOp, SelectOp, SubOp,
)
from mlang.passes.lowering import (
    Lowering, ModelOpLowering, element, emit_log_softmax, emit_one_hot_mask, rank,
    rewrite_model_methods,
)

Reduce = Callable[[SSAValue, int | None, bool], Operation]
"""A reduction's builder: input, axis (None: all of them), keepdim."""

REDUCTIONS: dict[type[Operation], Reduce] = {
    fn.SumOp: ReduceSumOp, fn.MeanOp: ReduceMeanOp, fn.MaxOp: ReduceMaxOp, fn.MinOp: ReduceMinOp,
}


def emit_reduce(
    b: Lowering, reduce: Reduce, x: SSAValue, axis: int | None = None, keepdim: bool = False
) -> SSAValue:
    """`reduce` over `axis` (every axis when None); a 0-d `x` is its own reduction."""
    return x if rank(x) == 0 else b(reduce(x, axis, keepdim))


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
class LowerReductionsPass(ModulePass):
    """Lowers reductions and losses in model methods to tensor ops."""

    name = "lower-reductions"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(
            op, [LowerReduction(), LowerArgmax(), LowerCrossEntropy(), LowerMse()]
        )
