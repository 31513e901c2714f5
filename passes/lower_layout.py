"""`lower-layout`: layout and indexing ops to tensor ops.

In: model methods with `model.transpose permute reshape flatten concat slice embedding`.
Out:

- `transpose` and `permute` are `tensorops.transpose`; `reshape` is `tensorops.reshape`;
  `flatten(x, s)` reshapes the dimensions from `s` into one;
- `concat` is `tensorops.concat`; `x[...]` is `tensorops.slice`, an integer index `i`
  taking `i:i+1`, and the indexed dimensions are then dropped with a reshape;
- such reshapes are `tensorops.reshape` when the result has at most one unknown size,
  else `tensorops.reshape_tail`, which keeps the leading dimensions as they are;
- `embedding(ids, w)` is `tensorops.gather %w[%ids]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, i32, i64
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import functions as fn
from mlang.dialects.model import layers
from mlang.dialects.tensorops import (
    ConcatOp, GatherOp, ReshapeOp, ReshapeTailOp, SliceOp, TransposeOp,
)
from mlang.dialects.tensorops.base import normalize_axes
from mlang.passes.lowering import (
    Lowering, ModelOpLowering, element, emit_reshape_from, rank, rewrite_model_methods, shape,
)
from mlang.support.shapes import known_numel


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
        if kept.count(-1) <= 1:
            return emit_reshape_from(b, y, dropped[0], kept)
        # More than one unknown size after the first index (`past[i]` of [L, N, H, ?, D]):
        # the indexed dimensions, of size one, move last and a tail reshape drops them.
        n = rank(y)
        last = b(TransposeOp(y, [*(i for i in range(n) if i not in dropped), *dropped]))
        return b(ReshapeTailOp(last, n - len(dropped), []))


def _as_slice(item: int | slice) -> slice:
    """An index as the slice of length one that holds it (`-1` is `-1:`)."""
    if isinstance(item, slice):
        return item
    return slice(item, None if item == -1 else item + 1)


class LowerEmbedding(ModelOpLowering[layers.EmbeddingOp]):
    """`embedding(ids, weight)` -> `tensorops.gather %weight[%ids]`."""

    source = layers.EmbeddingOp

    def lower(self, op: layers.EmbeddingOp, b: Lowering) -> SSAValue:
        ids = op.ids if element(op.ids) in (i32, i64) else b.cast(op.ids, i64)
        pad = op.padding_idx
        return b(GatherOp(op.weight, ids, None if pad is None else pad.value.data))


@dataclass(frozen=True)
class LowerLayoutPass(ModulePass):
    """Lowers layout and indexing ops in model methods to tensor ops."""

    name = "lower-layout"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [
            LowerTranspose(), LowerPermute(), LowerReshape(), LowerFlatten(), LowerConcat(),
            LowerSlice(), LowerEmbedding(),
        ])
