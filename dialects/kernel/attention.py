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

Grouped-query heads: where `%kt` is the transpose of, and `%v` is, `[N, Hkv, S, D]` keys
and values whose heads `lower-attention` repeats `G` times (`reshape_tail` to
`[N, Hkv, 1, S, D]`, `broadcast_to` `[N, Hkv, G, S, D]`, `reshape_tail` to
`[N, Hkv * G, S, D]`), the pattern records the unrepeated `k` and `v` and `G`, so that
the kernel reads key/value head `h // G` for query head `h` and never copies them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeVar

from xdsl.ir import Operation, SSAValue

from mlang.dialects.kernel.body import Body, Role, value_shape
from mlang.dialects.tensorops import (
    AddOp, BroadcastToOp, ConstantOp, DivOp, ExpOp, GtOp, IotaOp, LtOp, MatmulOp, MulOp,
    ReduceMaxOp, ReduceSumOp, ReductionOp, ReshapeTailOp, SelectOp, SubOp, TransposeOp,
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
    groups: int = 1
    """Query heads per key/value head: more than 1 where `grouped` is set."""
    grouped: tuple[SSAValue, SSAValue] | None = None
    """Grouped-query keys and values `[N, Hkv, S, D]`, before their heads are repeated."""
    repeats: list[Operation] = field(default_factory=list)
    """The host views that repeat `grouped`'s heads into `kt` and `v` (not needed by a
    kernel that reads `grouped`)."""

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
    pattern = AttentionPattern(q, kt, v, scale, causal, out, ops, mask)
    _find_groups(pattern)
    return pattern


def _find_groups(pattern: AttentionPattern) -> None:
    """Records grouped-query keys and values in `pattern` where `kt` and `v` repeat the
    heads of `[N, Hkv, S, D]` tensors the same number of times."""
    transpose = _owner(pattern.kt, TransposeOp)
    if transpose is None or list(transpose.permutation.get_values()) != [0, 1, 3, 2] \
            or not transpose.input.has_one_use():
        return
    keys, values = _repeated_heads(transpose.input), _repeated_heads(pattern.v)
    if keys is None or values is None or keys[1] != values[1]:
        return
    pattern.groups, pattern.grouped = keys[1], (keys[0], values[0])
    pattern.repeats = [transpose, *keys[2], *values[2]]


def _repeated_heads(value: SSAValue) -> tuple[SSAValue, int, list[Operation]] | None:
    """The `[N, Hkv, S, D]` value whose heads `value` repeats (`lower-attention`'s
    `repeat_heads` chain, used only here), the repeat count and the chain's ops."""
    merge = _owner(value, ReshapeTailOp)
    spread = _owner(merge.input, BroadcastToOp) if merge else None
    split = _owner(spread.input, ReshapeTailOp) if spread else None
    if not (merge and spread and split) or (merge.start.value.data,
                                            split.start.value.data) != (1, 2):
        return None
    chain: list[Operation] = [split, spread, merge]
    if any(not op.results[0].has_one_use() for op in chain):
        return None
    source = split.input
    kv, heads = value_shape(source), value_shape(value)
    if len(kv) != 4 or value_shape(split.result)[2] != 1 or kv[1] is None \
            or heads[1] is None or heads[1] % kv[1]:
        return None
    return source, heads[1] // kv[1], chain


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
