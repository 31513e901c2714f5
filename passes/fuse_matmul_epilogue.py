"""`fuse-matmul-epilogue`: a matmul with its operand prologues and elementwise epilogue
becomes one `kernel.matmul`.

In: tensorops functions. Out: each `tensorops.matmul` of matrices (rank 2 or more) not
yet in a kernel is one `kernel.matmul` holding:

- its operands' layout ops (the weight transpose of a linear layer, head splits) as
  host-side views, and on the rhs the elementwise ops that only it reads (such as the
  dequantize of int8 weights; a transpose of one is first moved onto its operands);
  on the lhs only dequantize and cast, so that a neighbour's epilogue is not recomputed,
  or a chain computed from the function's inputs, parameters and constants alone (such
  as an input scaling `x / 16`);
- the elementwise ops after it, grown downwards while their result has the product's
  shape and their other operands do not depend on it (bias add, activation, residual
  add, whole chains such as gelu's);
- a reshape or transpose that alone reads the result, as an output view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.kernel import MatmulKernelOp
from mlang.dialects.kernel.body import ELEMENTWISE_OPS, is_splat, value_shape
from mlang.dialects.kernel.ops import fits
from mlang.dialects.kernel.outline import (
    Group, absorb_input_views, absorb_output_views, function_bodies, outline, producer,
    used_only_by,
)
from mlang.dialects.model.structure import GetParamOp
from mlang.dialects.tensorops import (
    BroadcastToOp, CastOp, ConstantOp, DequantizeOp, MatmulOp, ReshapeOp, TransposeOp,
)
from mlang.support.pass_statistics import Statistic

LHS_PROLOGUE = (DequantizeOp, CastOp)
"""Elementwise ops the lhs prologue may take (the rhs takes any elementwise op)."""


def sink_transpose(t: TransposeOp, block: Block) -> bool:
    """Rewrites `transpose(f(a, b))` as `f(transpose(a), transpose(b))` when `f` is an
    elementwise op that only the transpose reads, so the transpose becomes a view of the
    kernel's inputs; lower-rank operands are first reshaped to full rank."""
    inner = producer(t.input, block)
    if not isinstance(inner, ELEMENTWISE_OPS) or not used_only_by(inner, {t}):
        return False
    rank = len(value_shape(t.result))
    perm = list(t.permutation.get_values())
    operands: list[SSAValue] = []
    for v in inner.operands:
        if is_splat(v) or not value_shape(v):
            operands.append(v)
            continue
        shape = value_shape(v)
        if len(shape) < rank:
            full = [1] * (rank - len(shape)) + [-1 if d is None else d for d in shape]
            reshape = ReshapeOp(v, full)
            block.insert_op_before(reshape, t)
            v = reshape.result
        transpose = TransposeOp(v, perm)
        block.insert_op_before(transpose, t)
        operands.append(transpose.result)
    clone = type(inner).create(
        operands=operands, result_types=[t.result.type],
        properties=dict(inner.properties), attributes=dict(inner.attributes),
    )
    block.insert_op_before(clone, t)
    t.result.replace_all_uses_with(clone.results[0])
    block.erase_op(t)
    block.erase_op(inner)
    return True


def prologue(operand: SSAValue, allowed: tuple[type, ...], members: set[Operation],
             block: Block) -> None:
    """Adds the elementwise producers of `operand` that only the kernel reads."""
    shape = value_shape(operand)
    stack = [operand]
    while stack:
        p = producer(stack.pop(), block)
        if p is None or p in members or not isinstance(p, allowed):
            continue
        if not used_only_by(p, members) or not fits(value_shape(p.results[0]), shape):
            continue
        members.add(p)
        stack.extend(p.operands)


def input_scaling(operand: SSAValue, members: set[Operation], block: Block) -> None:
    """Adds an elementwise chain that computes the lhs from the function's own inputs,
    parameters and constants alone (such as `x / 16`), which no other kernel could
    produce more cheaply."""
    inside = set(members)
    prologue(operand, ELEMENTWISE_OPS, inside, block)
    group = inside - members
    if all(_is_leaf(v) or v.owner in inside for op in group for v in op.operands):
        members |= group


def _is_leaf(value: SSAValue) -> bool:
    """A function argument, a parameter or a constant."""
    owner = value.owner
    return not isinstance(owner, Operation) or isinstance(owner, (GetParamOp, ConstantOp))


def epilogue(mm: MatmulOp, members: set[Operation], block: Block) -> None:
    """Adds the elementwise ops after the product, grown downwards."""
    shape = value_shape(mm.result)
    tail: set[Operation] = {mm}
    changed = True
    while changed:
        changed = False
        group = Group(members)
        for op in list(tail):
            for use in list(op.results[0].uses):
                user = use.operation
                if user in members or user.parent_block() is not block:
                    continue
                if not isinstance(user, (*ELEMENTWISE_OPS, BroadcastToOp)):
                    continue
                if value_shape(user.results[0]) != shape:
                    continue
                if not _epilogue_operands_ok(user, tail, members, group, shape):
                    continue
                members.add(user)
                tail.add(user)
                changed = True


def _epilogue_operands_ok(op: Operation, tail: set[Operation], members: set[Operation],
                          group: Group, shape: tuple[int | None, ...]) -> bool:
    """Whether each operand of `op` is the product, an epilogue value, or an outside value
    that fits the result and does not depend on the kernel."""
    for v in op.operands:
        owner = v.owner
        if owner in tail:
            continue
        if owner in members:
            return False  # a prologue value
        if not fits(value_shape(v), shape) or group.depends_on_group(v):
            return False
    return True


def fuse_block(block: Block, formed: Statistic) -> None:
    """Forms a matmul kernel around each product of matrices in `block`, in order."""
    for t in [op for op in block.ops if isinstance(op, TransposeOp)]:
        if t.parent_block() is block:
            sink_transpose(t, block)
    for mm in [op for op in block.ops if isinstance(op, MatmulOp)]:
        if min(len(value_shape(mm.lhs)), len(value_shape(mm.rhs))) < 2:
            continue
        members: set[Operation] = {mm}
        prologue(mm.lhs, LHS_PROLOGUE, members, block)
        input_scaling(mm.lhs, members, block)
        prologue(mm.rhs, ELEMENTWISE_OPS, members, block)
        epilogue(mm, members, block)
        absorb_input_views(members, block)
        outputs = Group(members).outputs()
        if len(outputs) == 1:
            absorb_output_views(members, outputs[0], block)
        if outline(MatmulKernelOp, members) is not None:
            formed.add()
            continue
        members = {mm}
        absorb_input_views(members, block)
        if outline(MatmulKernelOp, members) is not None:
            formed.add()


@dataclass(frozen=True)
class FuseMatmulEpilogue(ModulePass):
    """Fuses each matmul with its prologue (views, dequantize) and elementwise epilogue."""

    name = "fuse-matmul-epilogue"

    kernels_formed: ClassVar[Statistic] = Statistic(
        "kernels-formed", "Number of matmul kernels formed"
    )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Fuses in every function of the module."""
        for block in function_bodies(op):
            fuse_block(block, self.kernels_formed)
