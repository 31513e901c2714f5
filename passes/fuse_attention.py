"""`fuse-attention`: the lowered attention pattern becomes one `kernel.attention`.

In: tensorops functions holding the sequence that `lower-attention` documents (scores
`q @ k^T`, scaled by a constant, optionally masked causally with `iota`/`gt`/`select`,
then optionally by a boolean (`select(m, s, -inf)`) or additive (`add(s, m)`) mask, a
stable softmax over the keys, and the product with V). Out: each match, with the
layout ops that only it reads (the head split of q, k and v, and any slices of a merged
projection) as host-side views and the head merge after it as output views, is one
`kernel.attention`, whose Triton kernel streams over keys so that the scores never
reach memory. Matching starts from the product with V and walks back through the
pattern's single-use values; see `dialects/kernel/attention.py` for the exact form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.kernel import AttentionKernelOp
from mlang.dialects.kernel.outline import (
    absorb_input_views, absorb_output_views, function_bodies, outline, producer,
)
from mlang.dialects.tensorops import (
    AddOp, ConstantOp, DivOp, ExpOp, GtOp, IotaOp, LtOp, MatmulOp, MulOp, ReduceMaxOp, ReduceSumOp,
    SelectOp, SubOp,
)
from mlang.support.pass_statistics import Statistic

OpT = TypeVar("OpT", bound=Operation)


def _op(value: SSAValue, kind: type[OpT], block: Block) -> OpT | None:
    """The op of `kind` in `block` that defines `value`, else None."""
    p = producer(value, block)
    return p if isinstance(p, kind) else None


def _is_neg_inf(value: SSAValue) -> bool:
    """Whether `value` is a splat -inf constant."""
    owner = value.owner
    return isinstance(owner, ConstantOp) and owner.splat_value() == -math.inf


def attention_ops(mm2: MatmulOp, block: Block) -> set[Operation] | None:
    """The ops of the attention pattern ending in `mm2`, or None if it is not one."""
    div = _op(mm2.lhs, DivOp, block)
    total = _op(div.rhs, ReduceSumOp, block) if div else None
    exp = _op(div.lhs, ExpOp, block) if div else None
    sub = _op(exp.input, SubOp, block) if exp else None
    top = _op(sub.rhs, ReduceMaxOp, block) if sub else None
    if not (div and total and exp and sub and top):
        return None
    ops: set[Operation] = {mm2, div, total, exp, sub, top}
    scores = sub.lhs
    if top.operands[0] != scores:
        return None
    if (add := _op(scores, AddOp, block)) is not None:
        ops.add(add)
        scores = add.lhs
    elif (masked := _op(scores, SelectOp, block)) is not None and _is_neg_inf(masked.rhs):
        ops.add(masked)
        scores = masked.lhs
    if (select := _op(scores, SelectOp, block)) is not None:
        compare = producer(select.cond, block)
        if not isinstance(compare, (GtOp, LtOp)):
            return None
        iotas = [i for i in (producer(v, block) for v in compare.operands) if isinstance(i, IotaOp)]
        if len(iotas) != len(compare.operands):
            return None
        ops |= {select, compare, *iotas}
        scores = select.rhs
    if (mul := _op(scores, MulOp, block)) is not None:
        ops.add(mul)
        scores = mul.lhs
    mm1 = _op(scores, MatmulOp, block)
    if mm1 is None:
        return None
    ops.add(mm1)
    inner = ops - {mm2}
    for op in inner:  # every intermediate value stays inside the pattern
        if any(use.operation not in ops for r in op.results for use in r.uses):
            return None
    return ops


def fuse_block(block: Block, formed: Statistic) -> None:
    """Forms an attention kernel for each match in `block`."""
    for mm2 in [op for op in block.ops if isinstance(op, MatmulOp)]:
        if mm2.parent_block() is not block:
            continue
        members = attention_ops(mm2, block)
        if members is None:
            continue
        absorb_input_views(members, block)
        absorb_output_views(members, mm2.result, block)
        if outline(AttentionKernelOp, members) is not None:
            formed.add()


@dataclass(frozen=True)
class FuseAttention(ModulePass):
    """Fuses the lowered attention pattern (causal or not) into `kernel.attention`."""

    name = "fuse-attention"

    kernels_formed: ClassVar[Statistic] = Statistic(
        "kernels-formed", "Number of attention kernels formed"
    )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Fuses in every function of the module."""
        for block in function_bodies(op):
            fuse_block(block, self.kernels_formed)
