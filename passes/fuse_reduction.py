"""`fuse-reduction`: reductions with their elementwise neighbours become one
`kernel.reduction` (row-wise over the last axis).

In: tensorops functions. A float sum, mean, max or min over axes other than the last alone
is first rewritten to reduce the last axis of a transposed view (several axes of known
sizes merged into one by a reshape; a reshape restores kept dimensions). Out: from each
such reduction (in order), a group grows
- upwards through elementwise producers that only the group reads, and reductions of a
  tensor of the same shape;
- downwards through elementwise users (and further reductions of the same shape) whose
  other operands do not depend on the group;
until nothing more joins; layout ops that only the group reads join as host-side views.
The decomposed softmax, log-softmax, layer norm and RMS norm each become one kernel
(their affine tails included). A group the kernel cannot express is retried without its
downward growth, then as the reduction alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation
from xdsl.passes import ModulePass

from mlang.dialects.kernel import ReductionKernelOp
from mlang.dialects.kernel.body import ELEMENTWISE_OPS, value_shape
from mlang.dialects.kernel.ops import ROW_REDUCTIONS, fits
from mlang.dialects.kernel.outline import (
    Group, absorb_input_views, absorb_output_views, function_bodies, grow_upwards, outline,
)
from mlang.dialects.tensorops import BroadcastToOp, IotaOp, ReshapeOp, TransposeOp
from mlang.dialects.tensorops.base import FLOAT_TYPES, tensor_type_of
from mlang.support.pass_statistics import Statistic
from mlang.support.shapes import Shape

MAX_ROW = 1 << 14
"""The longest row (static) a reduction kernel holds in one block."""
JOINERS = (*ELEMENTWISE_OPS, BroadcastToOp, IotaOp)


def _reduced_axis(op: Operation) -> int | None:
    """The one axis a float row reduction reduces, else None."""
    axes = _reduced_axes(op)
    return axes[0] if axes is not None and len(axes) == 1 else None


def _reduced_axes(op: Operation) -> list[int] | None:
    """The axes a float row reduction reduces, else None."""
    if not isinstance(op, ROW_REDUCTIONS):
        return None
    if tensor_type_of(op.result).element_type not in FLOAT_TYPES:
        return None
    return list(op.axes.get_values())


def move_axis_last(op: Operation, block: Block) -> Operation:
    """Rewrites a reduction of axes `a, b, ...` as one of the last axis of a transposed
    view, whose reduced axes a reshape merges into one when there are several (their
    sizes must be known); a reshape restores kept dimensions."""
    axes = _reduced_axes(op)
    if axes is None or not isinstance(op, ROW_REDUCTIONS):
        return op
    shape = value_shape(op.input)
    rank = len(shape)
    if axes == [rank - 1]:
        return op
    keep = op.keepdim is not None
    kept = [d for d in range(rank) if d not in axes]
    sizes = [-1 if d is None else d for d in shape]  # -1: unknown, as reshape spells it
    merged, lead = [sizes[d] for d in axes], [sizes[d] for d in kept]
    result_shape = [-1 if d is None else d for d in value_shape(op.results[0])]
    several = len(axes) > 1
    if (several and (-1 in merged or lead.count(-1) > 1)) or (
            keep and result_shape.count(-1) > 1):
        return op  # an unknown size that one reshape cannot carry; leave it
    new_ops: list[Operation] = []
    source = op.input
    if axes != list(range(len(kept), rank)):
        new_ops.append(TransposeOp(source, kept + axes))
        source = new_ops[-1].results[0]
    if several:
        new_ops.append(ReshapeOp(source, [*lead, math.prod(merged)]))
        source = new_ops[-1].results[0]
    reduction = type(op)(source, len(kept) if several else rank - 1, keep)
    new_ops.append(reduction)
    result = reduction.results[0]
    if keep:
        new_ops.append(ReshapeOp(result, result_shape))
        result = new_ops[-1].results[0]
    block.insert_ops_before(new_ops, op)
    result.name_hint = op.results[0].name_hint
    op.results[0].replace_all_uses_with(result)
    block.erase_op(op)
    return reduction


def _same_rows(op: Operation, shape: Shape) -> bool:
    """Whether `op` is a last-axis row reduction of a tensor of shape `shape`."""
    axis = _reduced_axis(op)
    return axis is not None and value_shape(op.operands[0]) == shape and axis == len(shape) - 1


def _fits_rows(op: Operation, shape: Shape) -> bool:
    """Whether `op`'s result is a full row, one value per row, or a reduced row."""
    s = value_shape(op.results[0])
    return fits(s, shape) or (len(s) == len(shape) - 1 and fits(s, shape[:-1]))


def grow_up(members: set[Operation], shape: Shape, block: Block) -> None:
    """Adds producers that only the group reads."""
    grow_upwards(members, block, lambda p, _: (
        (isinstance(p, JOINERS) and _fits_rows(p, shape)) or _same_rows(p, shape)))


def grow_down(members: set[Operation], shape: Shape, block: Block) -> None:
    """Adds users whose other operands do not depend on the group."""
    changed = True
    while changed:
        changed = False
        group = Group(members)
        for op in list(members):
            for use in list(op.results[0].uses):
                user = use.operation
                if user in members or user.parent_block() is not block:
                    continue
                if not ((isinstance(user, JOINERS) and _fits_rows(user, shape))
                        or _same_rows(user, shape)):
                    continue
                if any(v.owner not in members and group.depends_on_group(v)
                       for v in user.operands):
                    continue
                members.add(user)
                changed = True
                group = Group(members)


def fuse_block(block: Block, formed: Statistic) -> None:
    """Forms a reduction kernel around each row reduction of `block`, in order."""
    for op in [op for op in block.ops if _reduced_axes(op) is not None]:
        move_axis_last(op, block)
    for seed in [op for op in block.ops if _reduced_axis(op) is not None]:
        if seed.parent_block() is not block:
            continue  # already joined an earlier group
        shape = value_shape(seed.operands[0])
        if _reduced_axis(seed) != len(shape) - 1:
            continue
        if not isinstance(shape[-1], int) or shape[-1] > MAX_ROW:
            continue
        for grow_downwards in (True, False):
            members = {seed}
            grow_up(members, shape, block)
            if grow_downwards:
                grow_down(members, shape, block)
                grow_up(members, shape, block)
            absorb_input_views(members, block)
            outputs = Group(members).outputs()
            if len(outputs) == 1:
                absorb_output_views(members, outputs[0], block)
            if outline(ReductionKernelOp, members) is not None:
                formed.add()
                break
        else:
            if outline(ReductionKernelOp, [seed]) is not None:
                formed.add()


@dataclass(frozen=True)
class FuseReduction(ModulePass):
    """Fuses row reductions with their elementwise neighbours into `kernel.reduction`."""

    name = "fuse-reduction"

    kernels_formed: ClassVar[Statistic] = Statistic(
        "kernels-formed", "Number of reduction kernels formed"
    )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Fuses in every function of the module."""
        for block in function_bodies(op):
            fuse_block(block, self.kernels_formed)
