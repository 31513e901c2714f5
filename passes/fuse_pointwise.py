"""`fuse-pointwise`: chains of elementwise tensorops become one `kernel.pointwise`.

In: tensorops functions (other fusions may already have formed kernels). Out: each
maximal tree of elementwise ops (unary, binary, compare, select, cast, quantize,
dequantize, dropout, `broadcast_to`, `iota`), grown upwards from a consumer through producers
that only it reads and whose shapes broadcast to its own, is one `kernel.pointwise`;
layout ops that only the tree reads join it as host-side views, and a reshape or
transpose that alone reads the result joins it as an output view. Ops of other kinds
stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation
from xdsl.passes import ModulePass

from mlang.dialects.kernel import PointwiseKernelOp
from mlang.dialects.kernel.body import ELEMENTWISE_OPS, value_shape
from mlang.dialects.kernel.ops import fits
from mlang.dialects.kernel.outline import (
    absorb_input_views, absorb_output_views, function_bodies, grow_upwards, outline,
)
from mlang.dialects.tensorops import BroadcastToOp, IotaOp
from mlang.support.pass_statistics import Statistic

POINTWISE_OPS = (*ELEMENTWISE_OPS, BroadcastToOp, IotaOp)


def is_pointwise(op: Operation) -> bool:
    """Whether `op` computes each element from the aligned elements of its operands."""
    return isinstance(op, POINTWISE_OPS)


def pointwise_group(root: Operation, block: Block) -> set[Operation]:
    """`root` and the elementwise producers that only the group reads, grown upwards
    until nothing more joins."""
    members = {root}
    shape = value_shape(root.results[0])
    grow_upwards(members, block, lambda p, v: is_pointwise(p) and fits(value_shape(v), shape))
    absorb_input_views(members, block)
    return members


def fuse_block(block: Block, formed: Statistic) -> None:
    """Forms pointwise kernels in one block, from its last consumers backwards."""
    for op in reversed(list(block.ops)):
        if op.parent_block() is not block or not is_pointwise(op):
            continue
        members = pointwise_group(op, block)
        absorb_output_views(members, op.results[0], block)
        if outline(PointwiseKernelOp, members) is None and outline(PointwiseKernelOp, [op]) is None:
            continue
        formed.add()


@dataclass(frozen=True)
class FusePointwise(ModulePass):
    """Fuses chains of elementwise ops into `kernel.pointwise` kernels."""

    name = "fuse-pointwise"

    kernels_formed: ClassVar[Statistic] = Statistic(
        "kernels-formed", "Number of pointwise kernels formed"
    )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Fuses in every function of the module."""
        for block in function_bodies(op):
            fuse_block(block, self.kernels_formed)
