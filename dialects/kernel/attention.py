"""Recognises scaled dot-product attention in a kernel body.

The device ops of a `kernel.attention` must be exactly (names as in `lower-attention`):

    %s0 = tensorops.matmul %q, %kt                 // [*B, Tq, d] x [*B, d, Tk]
    %s  = tensorops.mul %s0, %c                    // optional; %c a splat: the scale
    %i  = tensorops.iota %s axis R-2               // optional causal mask: query index,
    %j  = tensorops.iota %s axis R-1               //   key index,
    %f  = tensorops.gt %j, %i                      //   keys after the query...
    %sm = tensorops.select %f, %ninf, %s           //   ...get -inf
    %mm = tensorops.select %mask, %sm, %ninf       // optional mask: a boolean one (true
    %mm = tensorops.add %sm, %mask                 //   attends), or a float one added
    %m  = tensorops.reduce_max %sm axes [R-1] keepdim
    %e  = tensorops.exp (tensorops.sub %sm, %m)
    %p  = tensorops.div %e, (tensorops.reduce_sum %e axes [R-1] keepdim)
    %o  = tensorops.matmul %p, %v                  // [*B, Tk, dv] -> [*B, Tq, dv]

where `%q`, `%kt`, `%v` and `%mask` (`[.., Tq, Tk]`, broadcast) are host values (block arguments or views of them, such as
the head split of a projection), and `%o` is the one stored value (possibly through
output views). `match_attention` returns the parts, or a message saying what differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

from xdsl.ir import Operation, SSAValue

from mlang.dialects.kernel.body import Body, Role, value_shape
from mlang.dialects.tensorops import (
    AddOp, ConstantOp, DivOp, ExpOp, GtOp, IotaOp, LtOp, MatmulOp, MulOp, ReduceMaxOp, ReduceSumOp,
    ReductionOp, SelectOp, SubOp,
)

OpT = TypeVar("OpT", bound=Operation)


@dataclass
class AttentionPattern:
    """The parts of an attention body."""

    q: SSAValue
    """Queries, `[*B, Tq, d]`."""
    kt: SSAValue
    """Keys, transposed: `[*B, d, Tk]`."""
    v: SSAValue
    """Values, `[*B, Tk, dv]`."""
    scale: float
    causal: bool
    out: SSAValue
    """The result, `[*B, Tq, dv]`."""
    ops: list[Operation]
    mask: SSAValue | None = None
    """A mask broadcast to the scores `[*B, Tq, Tk]`: boolean (true attends) or added."""

    def sizes(self) -> tuple[int | None, int | None]:
        """The numbers of queries and keys (None if unknown)."""
        return value_shape(self.q)[-2], value_shape(self.kt)[-1]


def _owner(value: SSAValue, kind: type[OpT]) -> OpT | None:
    """The op of type `kind` that defines `value`, else None."""
    owner = value.owner
    return owner if isinstance(owner, kind) else None


def _splat(value: SSAValue) -> float | int | None:
    """The value of a splat constant, else None."""
    owner = value.owner
    return owner.splat_value() if isinstance(owner, ConstantOp) else None


def _last_axis_keepdim(op: ReductionOp) -> bool:
    """Whether a reduction reduces only the last axis, keeping it."""
    rank = len(value_shape(op.input))
    return list(op.axes.get_values()) == [rank - 1] and op.keepdim is not None


def _causal_mask(select: SelectOp, scores: SSAValue, ops: list[Operation]) -> bool:
    """Whether `select` masks keys after the query with -inf."""
    if _splat(select.lhs) != -math.inf or select.rhs != scores:
        return False
    compare = select.cond.owner
    if isinstance(compare, GtOp):
        key, query = compare.lhs, compare.rhs
    elif isinstance(compare, LtOp):
        query, key = compare.lhs, compare.rhs
    else:
        return False
    rank = len(value_shape(scores))
    ki, qi = _owner(key, IotaOp), _owner(query, IotaOp)
    if ki is None or qi is None:
        return False
    if (ki.axis.value.data, qi.axis.value.data) != (rank - 1, rank - 2):
        return False
    ops += [qi, ki, compare, select]
    return True


def match_attention(body: Body) -> AttentionPattern | str:
    """The attention pattern of `body`, or a message saying why it is none."""
    stored = [o for o in body.outputs if body.roles[o.root] is Role.DEVICE]
    if len(stored) != 1 or len(body.outputs) != 1:
        return "must yield exactly one value, the attention output"
    out = stored[0].root
    mm2 = _owner(out, MatmulOp)
    div = _owner(mm2.lhs, DivOp) if mm2 else None
    total = _owner(div.rhs, ReduceSumOp) if div else None
    exp = _owner(div.lhs, ExpOp) if div else None
    if not (mm2 and div and total and exp) or total.operands[0] != exp.result:
        return "must end with softmax(scores) times V"
    sub = _owner(exp.input, SubOp)
    top = _owner(sub.rhs, ReduceMaxOp) if sub else None
    if not (sub and top) or top.operands[0] != sub.lhs:
        return "the softmax must subtract the row maximum"
    if not (_last_axis_keepdim(total) and _last_axis_keepdim(top)):
        return "the softmax must reduce the last axis, keeping it"
    ops: list[Operation] = [top, sub, exp, total, div, mm2]
    scores, mask = _masked(sub.lhs, ops)
    causal = False
    if (select := _owner(scores, SelectOp)) is not None:
        masked: list[Operation] = []
        if not _causal_mask(select, select.rhs, masked):
            return "a mask must be the causal one: keys after the query get -inf"
        causal, scores = True, select.rhs
        ops += masked
    scale = 1.0
    if (mul := _owner(scores, MulOp)) is not None:
        factor = _splat(mul.rhs)
        if factor is None:
            return "scores must be scaled by a constant"
        scale, scores = float(factor), mul.lhs
        ops.append(mul)
    mm1 = _owner(scores, MatmulOp)
    if mm1 is None:
        return "scores must be a product of queries and transposed keys"
    ops.append(mm1)
    device = [op for op in body.device]
    if set(device) != set(ops):
        extra = ", ".join(sorted({op.name for op in device if op not in ops}))
        return f"holds ops that are not part of attention: {extra}"
    q, kt, v = mm1.lhs, mm1.rhs, mm2.rhs
    if not all(body.is_host(x) for x in (q, kt, v, *([mask] if mask else []))):
        return "queries, keys, values and mask must be kernel inputs (or views of them)"
    if mask is not None and len(value_shape(mask)) > len(value_shape(mm1.result)):
        return "the mask must not widen the scores"
    ranks = {len(value_shape(x)) for x in (q, kt, v)}
    if len(ranks) != 1 or ranks.pop() < 2:
        return "queries, keys and values must have one rank, 2 or more"
    return AttentionPattern(q, kt, v, scale, causal, out, ops, mask)


def _masked(scores: SSAValue, ops: list[Operation]) -> tuple[SSAValue, SSAValue | None]:
    """The scores under an optional mask (`select(mask, s, -inf)` or `add(s, mask)`), and
    the mask; the masking op joins `ops`."""
    if (add := _owner(scores, AddOp)) is not None:
        ops.append(add)
        return add.lhs, add.rhs
    select = _owner(scores, SelectOp)
    if select is not None and _splat(select.rhs) == -math.inf:
        ops.append(select)
        return select.lhs, select.cond
    return scores, None
