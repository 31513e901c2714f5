"""`fuse-reduction`: reductions with their elementwise neighbours become one
`kernel.reduction` (row-wise over the last axis).

In: tensorops functions. A float sum, mean, max or min over one axis that is not the last
is first rewritten to reduce the last axis of a transposed view (a reshape restores a
kept dimension). Out: from each such reduction (in order), a group grows
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
    if not isinstance(op, ROW_REDUCTIONS):
        return None
    if tensor_type_of(op.result).element_type not in FLOAT_TYPES:
        return None
    axes = list(op.axes.get_values())
    return axes[0] if len(axes) == 1 else None


def move_axis_last(op: Operation, block: Block) -> Operation:
    """Rewrites a reduction of axis `a` as one of the last axis of a transposed view."""
    axis = _reduced_axis(op)
    if axis is None or not isinstance(op, ROW_REDUCTIONS):
        return op
    rank = len(value_shape(op.input))
    if axis == rank - 1:
        return op
    perm = [d for d in range(rank) if d != axis] + [axis]
    transpose = TransposeOp(op.input, perm)
    keep = op.keepdim is not None
    reduction = type(op)(transpose.result, rank - 1, keep)
    block.insert_ops_before([transpose, reduction], op)
    result = reduction.results[0]
    if keep:
        shape = [-1 if d is None else d for d in value_shape(op.results[0])]
        if shape.count(-1) > 1:
            return op  # cannot restore the kept axis with one unknown size; leave it
        reshape = ReshapeOp(result, shape)
        block.insert_op_before(reshape, op)
        result = reshape.result
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
    for op in [op for op in block.ops if _reduced_axis(op) is not None]:
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
