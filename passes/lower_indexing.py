"""`lower-indexing`: the indexing and reshaping functions of M 0.2 to tensor ops.

In: model methods with `model.tril triu cumsum topk gather unsqueeze squeeze expand
repeat_interleave pad`.
Out:

- `tril(x, k)` is `select(col <= row + k, x, 0)` and `triu(x, k)` the same with `>=`, the
  rows and columns `tensorops.iota` of the last two dimensions: a pointwise kernel;
- `unsqueeze` and `squeeze` are reshapes; where these would need more than one unknown
  size, a `broadcast_to` adds a leading 1 (`unsqueeze`) or a reshape drops a trailing one
  (`squeeze`), and a transpose puts it in place; `expand` is `broadcast_to`;
- `repeat_interleave(x, n, axis)` gives `x` a size-1 dimension after `axis`, broadcasts it
  to `n` and merges the two;
- `cumsum`, `topk`, `gather` and `pad` are their tensorops twins (`gather` is
  `tensorops.take_along`); `cumsum` of integers sums in i64, as PyTorch does.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model import indexing as ix
from mlang.dialects.tensorops import (
    AddOp, BroadcastToOp, GeOp, IotaOp, LeOp, ReshapeTailOp, SelectOp, TransposeOp,
)
from mlang.dialects.tensorops.base import normalize_axes
from mlang.dialects.tensorops.indexing import CumsumOp, PadOp, TakeAlongOp, TopkOp
from mlang.passes.lowering import (
    Lowering, ModelOpLowering, element, emit_reshape_from, rank, rewrite_model_methods, shape,
)
from mlang.support.shapes import ShapeError


def _axis(op: ix.AxisOpBase | ix.TopkOp | ix.GatherOp, rank_: int) -> int:
    """The op's `axis`, made non-negative for a tensor of rank `rank_`."""
    (axis,) = normalize_axes([op.axis.value.data], rank_)
    return axis


def _sizes(value: SSAValue) -> list[int]:
    """The shape of a tensor value, unknown sizes as -1 (as reshape targets write them)."""
    return [-1 if d is None else d for d in shape(value)]


class LowerTriangle(ModelOpLowering[ix.TriangleBase]):
    """`tril`/`triu` -> a `select` of the input or 0 by comparing column and row indices."""

    source = (ix.TrilOp, ix.TriuOp)

    def lower(self, op: ix.TriangleBase, b: Lowering) -> SSAValue:
        x = op.input
        row = b(AddOp(b(IotaOp(x, -2)), b.constant(op.k.value.data, i64)))
        col = b(IotaOp(x, -1))
        keep = b(LeOp(col, row) if isinstance(op, ix.TrilOp) else GeOp(col, row))
        return b(SelectOp(keep, x, b.constant(0, element(x))))


class LowerCumsum(ModelOpLowering[ix.CumsumOp]):
    """`cumsum` -> `tensorops.cumsum` in the result's element type."""

    source = ix.CumsumOp

    def lower(self, op: ix.CumsumOp, b: Lowering) -> SSAValue:
        return b(CumsumOp(b.cast(op.input, element(op.result)), op.axis.value.data))


class LowerTopk(ModelOpLowering[ix.TopkOp]):
    """`topk` -> `tensorops.topk`, whose two results replace the op's two."""

    source = ix.TopkOp

    def lower(self, op: ix.TopkOp, b: Lowering) -> SSAValue:
        axis = _axis(op, rank(op.input))
        return b(TopkOp.create(
            operands=[op.input], properties={"k": op.k, "axis": IntegerAttr(axis, i64)},
            result_types=[op.values.type, op.indices.type],
        ))

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, ix.TopkOp):
            return
        b = Lowering(op)
        try:
            self.lower(op, b)
        except (VerifyException, ShapeError):
            b.discard()  # Types the tensor ops cannot express: check-lowered reports the op.
            return
        rewriter.replace(op, b.ops, list(b.ops[-1].results))


class LowerGather(ModelOpLowering[ix.GatherOp]):
    """`gather(x, axis, idx)` -> `tensorops.take_along %x[%idx]`."""

    source = ix.GatherOp

    def lower(self, op: ix.GatherOp, b: Lowering) -> SSAValue:
        return b(TakeAlongOp(op.input, op.index, op.axis.value.data))


class LowerUnsqueeze(ModelOpLowering[ix.UnsqueezeOp]):
    """`unsqueeze(x, a)` -> a reshape of the dimensions from `a`; when they hold more than
    one unknown size, a `broadcast_to` that adds a leading 1, moved to `a` by a transpose."""

    source = ix.UnsqueezeOp

    def lower(self, op: ix.UnsqueezeOp, b: Lowering) -> SSAValue:
        x, n = op.input, rank(op.input)
        axis = _axis(op, n + 1)
        tail = [1, *_sizes(x)[axis:]]
        if axis and tail.count(-1) <= 1:
            return emit_reshape_from(b, x, axis, tail)
        lead = b(BroadcastToOp(x, [1, *[-1] * n]))
        if not axis:
            return lead
        return b(TransposeOp(lead, [*range(1, axis + 1), 0, *range(axis + 1, n + 1)]))


class LowerSqueeze(ModelOpLowering[ix.SqueezeOp]):
    """`squeeze(x, a)` -> a reshape of the dimensions from `a` without it; when they hold
    more than one unknown size, a transpose moves `a` last and a reshape drops it."""

    source = ix.SqueezeOp

    def lower(self, op: ix.SqueezeOp, b: Lowering) -> SSAValue:
        x, n = op.input, rank(op.input)
        axis = _axis(op, n)
        tail = _sizes(x)[axis + 1:]
        if tail.count(-1) <= 1:
            return emit_reshape_from(b, x, axis, tail)
        last = b(TransposeOp(x, [*range(axis), *range(axis + 1, n), axis]))
        return b(ReshapeTailOp(last, n - 1, []))


class LowerExpand(ModelOpLowering[ix.ExpandOp]):
    """`expand(x, shape)` -> `tensorops.broadcast_to`."""

    source = ix.ExpandOp

    def lower(self, op: ix.ExpandOp, b: Lowering) -> SSAValue:
        return b(BroadcastToOp(op.input, op.shape.get_values()))


class LowerRepeatInterleave(ModelOpLowering[ix.RepeatInterleaveOp]):
    """`repeat_interleave(x, n, a)` -> reshape `x` to hold a size-1 dimension after `a`,
    broadcast it to `n`, then merge dimensions `a` and `a + 1`."""

    source = ix.RepeatInterleaveOp

    def lower(self, op: ix.RepeatInterleaveOp, b: Lowering) -> SSAValue:
        x, n = op.input, op.n.value.data
        axis = _axis(op, rank(x))
        sizes = _sizes(x)
        spread = emit_reshape_from(b, x, axis + 1, [1, *sizes[axis + 1:]])
        target = [-1] * (rank(x) + 1)
        target[axis + 1] = n
        repeated = b(BroadcastToOp(spread, target))
        merged = -1 if sizes[axis] < 0 else sizes[axis] * n
        return emit_reshape_from(b, repeated, axis, [merged, *sizes[axis + 1:]])


class LowerPad(ModelOpLowering[ix.PadOp]):
    """`pad(x, widths, value)` -> `tensorops.pad` with one (before, after) per dimension."""

    source = ix.PadOp

    def lower(self, op: ix.PadOp, b: Lowering) -> SSAValue:
        return b(PadOp(op.input, op.pairs(), op.value.value.data))


@dataclass(frozen=True)
class LowerIndexingPass(ModulePass):
    """Lowers indexing and reshaping functions (tril, cumsum, topk, gather, ...) in model
    methods to tensor ops."""

    name = "lower-indexing"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [
            LowerTriangle(), LowerCumsum(), LowerTopk(), LowerGather(), LowerUnsqueeze(),
            LowerSqueeze(), LowerExpand(), LowerRepeatInterleave(), LowerPad(),
        ])
