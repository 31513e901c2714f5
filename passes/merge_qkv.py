"""`merge-qkv`: projections that share an input become one matmul whose result is split.

In: tensorops functions with linear layers as `lower-linear` emits them,

    %wt = tensorops.transpose %w [1, 0]      // %w: [out_i, in], a 2-d value
    %y  = tensorops.matmul %x, %wt
    %z  = tensorops.add %y, %b               // optional bias, [out_i]

Out: for each input `%x` read by two or more such projections (all with a bias, or all
without), one product with the weights concatenated along `out` (and one bias add of the
concatenated biases), followed by a `tensorops.slice` per projection over the last axis:
the q, k and v projections of attention become one matmul kernel instead of three. The
concatenations read only parameters, so the Triton backend computes them once per set
of weights, not once per call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.kernel.body import value_shape
from mlang.dialects.kernel.outline import function_bodies, sort_block
from mlang.dialects.tensorops import AddOp, ConcatOp, MatmulOp, SliceOp, TransposeOp
from mlang.dialects.tensorops.base import tensor_type_of
from mlang.support.pass_statistics import Statistic


@dataclass
class Projection:
    """One linear layer: `x @ transpose(w) (+ b)`."""

    matmul: MatmulOp
    weight: SSAValue
    bias: SSAValue | None
    result: SSAValue
    ops: list[Operation] = field(default_factory=list[Operation])


def as_projection(mm: MatmulOp) -> Projection | None:
    """The linear layer `mm` is the product of, if it is one."""
    t = mm.rhs.owner
    if not isinstance(t, TransposeOp) or list(t.permutation.get_values()) != [1, 0]:
        return None
    if len(value_shape(t.input)) != 2 or not t.result.has_one_use():
        return None
    ops: list[Operation] = [t, mm]
    bias, result = None, mm.result
    use = mm.result.get_unique_use()
    if use is not None and isinstance(use.operation, AddOp):
        add = use.operation
        other = add.rhs if add.lhs == mm.result else add.lhs
        if len(value_shape(other)) == 1 and value_shape(add.result) == value_shape(mm.result):
            bias, result = other, add.result
            ops.append(add)
    return Projection(mm, t.input, bias, result, ops)


def merge(group: list[Projection], block: Block) -> None:
    """Replaces projections of one input by one product and slices of its result."""
    first = min(group, key=lambda p: _position(p.matmul, block))
    x = first.matmul.lhs
    weights = ConcatOp([p.weight for p in group], 0)
    transpose = TransposeOp(weights.result, [1, 0])
    product = MatmulOp(x, transpose.result)
    new_ops: list[Operation] = [weights, transpose, product]
    merged = product.result
    if group[0].bias is not None:
        biases = ConcatOp([p.bias for p in group if p.bias is not None], 0)
        add = AddOp(merged, biases.result)
        new_ops += [biases, add]
        merged = add.result
    rank = len(value_shape(merged))
    start = 0
    for p in group:
        size = value_shape(p.weight)[0]
        assert isinstance(size, int)
        part = SliceOp(merged, [slice(None)] * (rank - 1) + [slice(start, start + size)])
        start += size
        new_ops.append(part)
        part.result.name_hint = p.result.name_hint
        p.result.replace_all_uses_with(part.result)
    block.insert_ops_before(new_ops, first.matmul)
    for p in group:
        for op in reversed(p.ops):
            block.erase_op(op)
    sort_block(block)


def _position(op: Operation, block: Block) -> int:
    """The index of `op` in `block`."""
    return list(block.ops).index(op)


def merge_block(block: Block, merged: Statistic) -> None:
    """Merges the projections of each shared input of `block`."""
    by_input: dict[SSAValue, list[Projection]] = {}
    for mm in [op for op in block.ops if isinstance(op, MatmulOp)]:
        p = as_projection(mm)
        if p is not None and isinstance(value_shape(p.weight)[0], int):
            by_input.setdefault(mm.lhs, []).append(p)
    for group in by_input.values():
        if len(group) < 2:
            continue
        if len({p.bias is None for p in group}) != 1:
            continue
        if len({value_shape(p.weight)[1] for p in group}) != 1:
            continue
        if len({tensor_type_of(p.weight).element_type for p in group}) != 1:
            continue
        merge(group, block)
        merged.add(len(group))


@dataclass(frozen=True)
class MergeQkv(ModulePass):
    """Merges linear projections of one input (q, k, v) into one matmul and slices."""

    name = "merge-qkv"

    projections_merged: ClassVar[Statistic] = Statistic(
        "projections-merged", "Number of projections merged into shared products"
    )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Merges in every function of the module."""
        for block in function_bodies(op):
            merge_block(block, self.projections_merged)
