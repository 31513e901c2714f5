"""`select-torch-calls`: chains of tensorops that one PyTorch call computes, to that call.

The lowering spells every model op in the closed set of tensorops: a linear layer is a
transpose, a matmul and an add; a layer norm is nine ops. Printed one op per statement, a
BERT-base forward pass would make ~2.5x the PyTorch calls that eager makes, each a pass
over memory and an allocation. This pass is the torch backend's instruction selection:

    matmul(x, transpose(w, [1, 0])) (+ b)                  torchcall.linear
    div(exp(x - max(x)), sum(exp(x - max(x))))             torchcall.softmax
    (x - max(x)) - log(sum(exp(x - max(x))))               torchcall.log_softmax
    the nine ops of `lower-norms`' layer norm              torchcall.layer_norm
    x * rsqrt(mean(x * x) + eps) * w                       torchcall.rms_norm
    (x * 0.5) * (1 + erf(x * sqrt(1/2)))                   torchcall.gelu
    x * sigmoid(x)                                         torchcall.silu
    maximum(x, 0)                                          torchcall.relu
    x + c, c - x, x * c, x / c for a 0-d float constant c  torchcall.tensor_scalar/scalar_tensor
    softmax(q @ kt * c (masked)) @ v                        torchcall.sdpa
    select(gt(m, 0), m, 1), m = max(amax(x), -amin(x))/127  torchcall.int8_row_scale
    quantize(x, s) and s = int8_row_scale(x, d)            torchcall.int8_quantize_rows
    cast(matmul(xq, w) : i32 -> f) * xs * ws (+ b)         torchcall.int8_scaled_matmul
        ... where w and ws are transposes of matrices       torchcall.int8_linear

In: tensorops (the output of `lower-to-tensor`). Out: the same, with each pattern's last
op (its root) replaced by the call and its other ops erased. A pattern matches only when
each of its inner values is read by the pattern alone, or is one that the call gives
besides the root's (`int8_quantize_rows` gives the scales too). Constants are matched by
value; they, and any other op without effects that nothing reads any more, are erased as
the walk reaches them. The walk goes once from the last op to the first, so that the
widest pattern ending at an op is tried before those inside it.
Each call computes what the ops compute, in float32 to within rounding (PyTorch's fused
kernels reorder sums), and exactly for the int8 patterns, which keep the order of
operations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    AnyFloat, DenseIntOrFPElementsAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr,
    TensorType, UnitAttr, f64, i8, i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier, PatternRewriter, PatternRewriteWalker, RewritePattern,
)

from mlang.dialects import torchcall as tc
from mlang.dialects.tensorops import (
    AddOp, BroadcastToOp, CastOp, ConstantOp, DivOp, ErfOp, ExpOp, GtOp, IotaOp, LogOp,
    MatmulOp, MaximumOp, MulOp, NegOp, QuantizeOp, ReduceMaxOp, ReduceMeanOp, ReduceMinOp,
    ReduceSumOp, ReductionOp, ReshapeTailOp, RsqrtOp, SelectOp, SigmoidOp, SubOp, TransposeOp,
)
from mlang.dialects.tensorops.base import tensor_type_of

OpT = TypeVar("OpT", bound=Operation)
ReductionT = TypeVar("ReductionT", bound=ReductionOp)


@dataclass(frozen=True)
class Selection:
    """A call, built but not yet inserted, that stands for a root op and `inner` ops."""

    inner: tuple[Operation, ...]
    call: Operation
    also: tuple[SSAValue, ...] = ()
    """Values of inner ops that the call gives too, after the root's. Every op that reads
    one comes after the root."""
    before: tuple[Operation, ...] = ()
    """New ops, built but not yet inserted, that the call reads: they go just before it."""


class SelectionPattern(RewritePattern):
    """Replaces the pattern that ends at an op by its call, when nothing else reads the
    pattern's inner values (`x @ transpose(x)` is no linear layer of `x`)."""

    def match(self, op: Operation) -> Selection | None:
        """The call for the pattern that `op` ends, or None."""
        raise NotImplementedError

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        selection = self.match(op)
        if selection is None:
            return
        if not _private(op, selection):
            for built in (selection.call, *reversed(selection.before)):
                built.erase()
            return
        call = selection.call
        rewriter.insert(list(selection.before), InsertPoint.before(op))
        for value, result in zip(selection.also, call.results[1:]):
            result.name_hint = value.name_hint
            rewriter.replace_all_uses_with(value, result)
        rewriter.replace(op, call, [call.results[0]])
        _erase_all(rewriter, selection.inner)


def _private(root: Operation, selection: Selection) -> bool:
    """Whether the values of the selection's inner ops are read by its ops only (the call,
    which reads its inputs, counts as a reader from outside)."""
    ops = {root, *selection.inner}
    return all(
        use.operation in ops or r in selection.also
        for op in selection.inner for r in op.results for use in r.uses
    )


def _erase_all(rewriter: PatternRewriter, ops: Iterable[Operation]) -> None:
    """Erases ops that only read each other, readers first."""
    left = list(ops)
    while left:
        unread = [op for op in left if not any(r.uses for r in op.results)]
        assert unread, "an inner op of a selected pattern is read from outside it"
        for op in unread:
            rewriter.erase(op)
        left = [op for op in left if op not in unread]


# ------------------------------------------------------------------------ helpers


def _op(value: SSAValue, kind: type[OpT]) -> OpT | None:
    """The op of class `kind` that defines `value`, or None."""
    owner = value.owner
    return owner if isinstance(owner, kind) else None


def _splat(value: SSAValue) -> float | None:
    """The value of a 0-d constant, or None when `value` is not one."""
    op = value.owner
    if not isinstance(op, (ConstantOp, arith.ConstantOp)):
        return None
    attr = op.properties.get("value")
    if not isinstance(attr, DenseIntOrFPElementsAttr):
        return None
    values, t = attr.get_values(), attr.get_type()
    if not isinstance(t, TensorType) or t.get_num_dims() != 0 or len(values) != 1:
        return None
    return float(values[0])


def _is_f32_of(value: SSAValue, want: float) -> bool:
    """Whether `value` is a 0-d constant equal to `want` rounded to float32."""
    got = _splat(value)
    return got is not None and _f32(got) == _f32(want)


def _f32(x: float) -> float:
    """`x` rounded to float32."""
    return float(np.float32(x))


def _shape(value: SSAValue) -> tuple[int, ...]:
    """The static sizes of a tensor value (-1 for unknown ones)."""
    t = value.type
    assert isinstance(t, TensorType)
    return tuple(t.get_shape())


def _element(value: SSAValue) -> Attribute:
    """A tensor value's element type."""
    return tensor_type_of(value).element_type


def _is_float(value: SSAValue) -> bool:
    """Whether a tensor value has floating-point elements."""
    return isinstance(_element(value), AnyFloat)


def _axis(op: ReductionOp) -> int | None:
    """The one reduced axis of a keepdim reduction, non-negative, or None."""
    axes = list(op.axes.get_values())
    if len(axes) != 1 or op.keepdim is None:
        return None
    return axes[0] % len(_shape(op.input))


def _both(op: Operation) -> Iterable[tuple[SSAValue, SSAValue]]:
    """The two orders of a commutative binary op's operands."""
    a, b = op.operands
    return ((a, b), (b, a))


def _reduce(value: SSAValue, kind: type[ReductionT], of: SSAValue) -> tuple[ReductionT, int] | None:
    """The keepdim one-axis reduction of class `kind` of `of` that defines `value`, and
    its axis."""
    op = _op(value, kind)
    if op is None or op.input != of or (axis := _axis(op)) is None:
        return None
    return op, axis


def _transposed(value: SSAValue) -> TransposeOp | None:
    """The `transpose [1, 0]` of a matrix that defines `value`, or None."""
    t = _op(value, TransposeOp)
    return t if t is not None and list(t.permutation.get_values()) == [1, 0] else None


def _read_only_by(op: Operation, reader: Operation) -> bool:
    """Whether every value of `op` is read by `reader` alone (a transpose of a weight that
    two calls of one layer share is read by two matmuls)."""
    return all(use.operation is reader for r in op.results for use in r.uses)


def _float(x: float, like: SSAValue) -> FloatAttr:
    """`x` as an attribute of the element type of the tensor value `like`."""
    element = _element(like)
    assert isinstance(element, AnyFloat)
    return FloatAttr(x, element)


def _dim(axis: int) -> dict[str, Attribute]:
    """The `dim` property of a call."""
    return {"dim": IntegerAttr(axis, i64)}


# ------------------------------------------------------------------------ float32


class SelectLinear(SelectionPattern):
    """`matmul(x, transpose(w, [1, 0])) (+ b)` -> `torchcall.linear x, w (, b)`."""

    def match(self, op: Operation) -> Selection | None:
        matmul, bias = op, None
        if isinstance(op, AddOp):
            for product, other in _both(op):
                m = _op(product, MatmulOp)
                if m is not None and _shape(other) == _shape(product)[-1:]:
                    matmul, bias = m, other
                    break
            if bias is None or op.results[0].type != matmul.results[0].type:
                return None
        if not isinstance(matmul, MatmulOp) or not _is_float(matmul.lhs):
            return None
        t = _transposed(matmul.rhs)
        if t is None:
            return None
        # A transpose that another matmul reads too (a layer called twice) is left out of
        # the pattern: each call reads `w`, and the transpose goes once nothing reads it.
        inner: tuple[Operation, ...] = (t,) if _read_only_by(t, matmul) else ()
        if bias is not None:
            inner += (matmul,)
        call = tc.LinearOp(operands=[matmul.lhs, t.operands[0], bias],
                           result_types=[op.results[0].type])
        return Selection(inner, call)


def _shifted(value: SSAValue) -> tuple[SubOp, ReduceMaxOp, int] | None:
    """`x - reduce_max(x, axis)`: the sub, the max and the axis."""
    sub = _op(value, SubOp)
    high = None if sub is None else _reduce(sub.operands[1], ReduceMaxOp, sub.operands[0])
    return None if sub is None or high is None else (sub, *high)


def _exp_sum(value: SSAValue, shifted: SubOp, axis: int) -> tuple[ExpOp, ReduceSumOp] | None:
    """`reduce_sum(exp(shifted), axis)` defining `value`: the exp and the sum."""
    total = _op(value, ReduceSumOp)
    e = None if total is None else _op(total.operands[0], ExpOp)
    if total is None or e is None or e.operands[0] != shifted.results[0] or _axis(total) != axis:
        return None
    return e, total


class SelectSoftmax(SelectionPattern):
    """`exp(x - max) / sum(exp(x - max))` -> `torchcall.softmax x dim d`."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, DivOp) or not _is_float(op.result):
            return None
        e = _op(op.lhs, ExpOp)
        shifted = None if e is None else _shifted(e.input)
        if shifted is None:
            return None
        sub, high, axis = shifted
        exp_sum = _exp_sum(op.rhs, sub, axis)
        if exp_sum is None or exp_sum[0] is not e:
            return None
        call = tc.SoftmaxOp(operands=[sub.lhs], properties=_dim(axis),
                            result_types=[op.result.type])
        return Selection((high, sub, *exp_sum), call)


class SelectLogSoftmax(SelectionPattern):
    """`(x - max) - log(sum(exp(x - max)))` -> `torchcall.log_softmax x dim d`."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, SubOp) or not _is_float(op.result):
            return None
        shifted, log = _shifted(op.lhs), _op(op.rhs, LogOp)
        if shifted is None or log is None:
            return None
        sub, high, axis = shifted
        exp_sum = _exp_sum(log.input, sub, axis)
        if exp_sum is None:
            return None
        call = tc.LogSoftmaxOp(operands=[sub.lhs], properties=_dim(axis),
                               result_types=[op.result.type])
        return Selection((high, sub, *exp_sum, log), call)


class SelectLayerNorm(SelectionPattern):
    """The nine ops of `lower-norms`' layer norm over the last axis, `(x - mean) *
    rsqrt(mean((x - mean)^2) + eps) * w + b` -> `torchcall.layer_norm x, w, b eps e`."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, AddOp) or not _is_float(op.result):
            return None
        for scaled, bias in _both(op):
            if (selection := self._match_from(op, scaled, bias)) is not None:
                return selection
        return None

    def _match_from(self, op: AddOp, scaled: SSAValue, bias: SSAValue) -> Selection | None:
        """The selection with `scaled = normed * weight`, or None."""
        mul_w = _op(scaled, MulOp)
        normed = None if mul_w is None else _op(mul_w.lhs, MulOp)
        centred = None if normed is None else _op(normed.lhs, SubOp)
        r = None if normed is None else _op(normed.rhs, RsqrtOp)
        plus_eps = None if r is None else _op(r.input, AddOp)
        if mul_w is None or normed is None or centred is None or r is None or plus_eps is None:
            return None
        x, last = centred.lhs, len(_shape(op.result)) - 1
        mean = _reduce(centred.rhs, ReduceMeanOp, x)
        var = _op(plus_eps.lhs, ReduceMeanOp)
        eps = _splat(plus_eps.rhs)
        square = None if var is None else _op(var.input, MulOp)
        if (mean is None or var is None or eps is None or square is None
                or list(square.operands) != [centred.result] * 2
                or mean[1] != last or _axis(var) != last):
            return None
        size, weight = _shape(x)[-1], mul_w.rhs
        if (size < 0 or _shape(weight) != (size,) or _shape(bias) != (size,)
                or _shape(x) != _shape(op.result)):
            return None
        call = tc.LayerNormOp(
            operands=[x, weight, bias], result_types=[op.result.type],
            properties={"eps": _float(eps, plus_eps.rhs)},
        )
        return Selection((mean[0], centred, square, var, plus_eps, r, normed, mul_w), call)


class SelectRmsNorm(SelectionPattern):
    """`lower-norms`' RMS norm over the last axis, `x * rsqrt(mean(x * x) + eps) * w` ->
    `torchcall.rms_norm x, w eps e`."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, MulOp) or not _is_float(op.result):
            return None
        normed = _op(op.lhs, MulOp)
        r = None if normed is None else _op(normed.rhs, RsqrtOp)
        plus_eps = None if r is None else _op(r.input, AddOp)
        mean = None if plus_eps is None else _op(plus_eps.lhs, ReduceMeanOp)
        square = None if mean is None else _op(mean.input, MulOp)
        if normed is None or r is None or plus_eps is None or mean is None or square is None:
            return None
        x, eps, weight = normed.lhs, _splat(plus_eps.rhs), op.rhs
        size = _shape(x)[-1]
        if (eps is None or list(square.operands) != [x, x]
                or _axis(mean) != len(_shape(x)) - 1 or size < 0
                or _shape(weight) != (size,) or _shape(x) != _shape(op.result)):
            return None
        call = tc.RmsNormOp(
            operands=[x, weight], result_types=[op.result.type],
            properties={"eps": _float(eps, plus_eps.rhs)},
        )
        return Selection((square, mean, plus_eps, r, normed), call)


class SelectGelu(SelectionPattern):
    """`(x * 0.5) * (1 + erf(x * sqrt(1/2)))` -> `torchcall.gelu x`."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, MulOp):
            return None
        for half, one_plus in _both(op):
            mul_half, add = _op(half, MulOp), _op(one_plus, AddOp)
            if mul_half is None or add is None or not _is_f32_of(mul_half.rhs, 0.5):
                continue
            x = mul_half.lhs
            if not _is_float(x) or _shape(x) != _shape(op.result):
                continue
            for erf_value, one in _both(add):
                erf = _op(erf_value, ErfOp)
                if erf is None:
                    continue
                scaled = _op(erf.input, MulOp)
                if (scaled is not None and _is_f32_of(one, 1.0) and scaled.lhs == x
                        and _is_f32_of(scaled.rhs, math.sqrt(0.5))):
                    call = tc.GeluOp(operands=[x], result_types=[op.result.type])
                    return Selection((mul_half, scaled, erf, add), call)
        return None


class SelectSilu(SelectionPattern):
    """`x * sigmoid(x)` -> `torchcall.silu x`."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, MulOp):
            return None
        for x, s in _both(op):
            sigmoid = _op(s, SigmoidOp)
            if (sigmoid is not None and sigmoid.input == x and _is_float(x)
                    and _shape(x) == _shape(op.result)):
                return Selection((sigmoid,), tc.SiluOp(operands=[x], result_types=[op.result.type]))
        return None


class SelectRelu(SelectionPattern):
    """`maximum(x, +0.0)` -> `torchcall.relu x`."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, MaximumOp):
            return None
        value = _splat(op.rhs)
        # Only +0: `maximum(x, -0.0)` is -0.0 where x < 0, where relu gives +0.0.
        if value != 0.0 or math.copysign(1.0, value) < 0 or _shape(op.lhs) != _shape(op.result):
            return None
        return Selection((), tc.ReluOp(operands=[op.lhs], result_types=[op.result.type]))


OPERATORS: dict[type[Operation], str] = {AddOp: "+", SubOp: "-", MulOp: "*", DivOp: "/"}


class SelectScalarArith(SelectionPattern):
    """Arithmetic with a 0-d f32 or f64 constant -> `torchcall.tensor_scalar` or
    `scalar_tensor`, a Python operator and number (`x * 0.125`), which PyTorch computes in
    the tensor's type as it does the constant."""

    def match(self, op: Operation) -> Selection | None:
        symbol = OPERATORS.get(type(op))
        if symbol is None:
            return None
        lhs, rhs = op.operands
        for tensor, constant, kind in ((lhs, rhs, tc.TensorScalarOp),
                                       (rhs, lhs, tc.ScalarTensorOp)):
            value = _splat(constant)
            element = _element(tensor)
            if (value is None or not math.isfinite(value) or str(element) not in ("f32", "f64")
                    or constant.type != TensorType(element, [])
                    or _shape(tensor) != _shape(op.results[0])):
                continue
            properties = {"operator": StringAttr(symbol), "scalar": _float(value, constant)}
            return Selection((), kind(operands=[tensor], properties=properties,
                                      result_types=[tensor.type]))
        return None


# ------------------------------------------------------------------------ int8


def _row_scale_of(op: SelectOp) -> tuple[SSAValue, int, tuple[Operation, ...]] | None:
    """`x`, the axis, and the ops before the select, where `op` is the per-row scale of
    `x` (absmax / 127, 1 for an all-zero row); else None."""
    gt, s0, div = _op(op.cond, GtOp), op.lhs, _op(op.lhs, DivOp)
    if (gt is None or div is None or gt.lhs != s0 or _splat(gt.rhs) != 0.0
            or not _is_f32_of(op.rhs, 1.0) or not _is_f32_of(div.rhs, 127.0)):
        return None
    absmax = _op(div.lhs, MaximumOp)
    neg = None if absmax is None else _op(absmax.rhs, NegOp)
    high = None if absmax is None else _op(absmax.lhs, ReduceMaxOp)
    if absmax is None or neg is None or high is None:
        return None
    x = high.input
    low = _reduce(neg.input, ReduceMinOp, x)
    if low is None or _axis(high) != low[1]:
        return None
    return x, low[1], (high, low[0], neg, absmax, div, gt)


class SelectInt8RowScale(SelectionPattern):
    """`quantize`'s per-row scale of `x` -> `torchcall.int8_row_scale x dim d`."""

    def match(self, op: Operation) -> Selection | None:
        found = _row_scale_of(op) if isinstance(op, SelectOp) else None
        if found is None:
            return None
        x, dim, inner = found
        call = tc.Int8RowScaleOp(operands=[x], properties=_dim(dim),
                                 result_types=[op.results[0].type])
        return Selection(inner, call)


class SelectInt8QuantizeRows(SelectionPattern):
    """`quantize(x, s)` of the per-row scale `s` of `x` -> `torchcall.int8_quantize_rows
    x dim d`, which gives `s` too, when everything else that reads `s` comes after the
    quantize."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, QuantizeOp):
            return None
        select = _op(op.scale, SelectOp)
        found = None if select is None else _row_scale_of(select)
        if select is None or found is None or found[0] != op.input:
            return None
        if not all(_comes_after(use.operation, op) for use in select.result.uses):
            return None
        x, dim, inner = found
        call = tc.Int8QuantizeRowsOp(operands=[x], properties=_dim(dim),
                                     result_types=[op.result.type, select.result.type])
        return Selection((select, *inner), call, also=(select.result,))


def _comes_after(op: Operation, anchor: Operation) -> bool:
    """Whether `op` is `anchor` or follows it in its block."""
    while op is not anchor:
        before = op.prev_op
        if before is None:
            return False
        op = before
    return True


class SelectInt8Linear(SelectionPattern):
    """`cast(matmul(xq, w) : i32) * xs * ws (+ b)` -> `torchcall.int8_scaled_matmul xq, w,
    xs, ws (, b)`, or `torchcall.int8_linear xq, wq, xs, sq (, b)` when `w` and `ws` are
    `transpose [1, 0]` of matrices `wq` and `sq`, as `quantize` spells a linear layer's
    weight."""

    def match(self, op: Operation) -> Selection | None:
        bias, scaled = None, op if isinstance(op, MulOp) else None
        if isinstance(op, AddOp):
            scaled, bias = _op(op.lhs, MulOp), op.rhs
        by_row = None if scaled is None else _op(scaled.lhs, MulOp)
        cast = None if by_row is None else _op(by_row.lhs, CastOp)
        matmul = None if cast is None else _op(cast.input, MatmulOp)
        if (scaled is None or by_row is None or cast is None or matmul is None
                or _element(matmul.lhs) != i8 or op.results[0].type != cast.result.type):
            return None
        w, xs, ws = matmul.rhs, by_row.rhs, scaled.rhs
        inner: tuple[Operation, ...] = tuple(
            o for o in (scaled, by_row, cast, matmul) if o is not op)
        kind: type[tc.Int8MatmulFamilyOp] = tc.Int8ScaledMatmulOp
        wt, st = _transposed(w), _transposed(ws)
        if wt is not None and st is not None:
            # As in `SelectLinear`, a transpose that another call of the layer reads stays.
            kind, w, ws = tc.Int8LinearOp, wt.input, st.input
            inner += tuple(t for t, reader in ((wt, matmul), (st, scaled))
                           if _read_only_by(t, reader))
        call = kind(operands=[matmul.lhs, w, xs, ws, bias], result_types=[op.results[0].type])
        return Selection(inner, call)


@dataclass
class _Scores:
    """What an attention pattern does to `q @ kt` before its softmax, read back to front."""

    ops: list[Operation]
    mask: SSAValue | None = None
    causal: bool = False
    scale: float = 1.0


def _is_neg_inf(value: SSAValue) -> bool:
    """Whether `value` is a 0-d constant -inf."""
    return _splat(value) == -math.inf


def _causal_select(op: SelectOp) -> list[Operation] | None:
    """The ops of `select(gt(iota(s, -1), iota(s, -2)), -inf, s)`: keys after the query
    masked, as `lower-attention` spells it; else None."""
    gt = _op(op.cond, GtOp)
    if gt is None or not _is_neg_inf(op.lhs):
        return None
    keys, queries = _op(gt.lhs, IotaOp), _op(gt.rhs, IotaOp)
    if keys is None or queries is None:
        return None
    rank = len(_shape(op.rhs))
    if (keys.axis.value.data, queries.axis.value.data) != (rank - 1, rank - 2):
        return None
    return [gt, keys, queries]


def _read_scores(value: SSAValue) -> tuple[MatmulOp, _Scores] | None:
    """`q @ kt`, scaled, masked causally, then by a mask, as `lower-attention` emits them:
    the product and what was done to it."""
    found = _Scores([])
    if (add := _op(value, AddOp)) is not None and _is_float(add.rhs):
        found.ops.append(add)
        found.mask, value = add.rhs, add.lhs
    elif (select := _op(value, SelectOp)) is not None and _is_neg_inf(select.rhs):
        found.ops.append(select)
        found.mask, value = select.cond, select.lhs
    if (select := _op(value, SelectOp)) is not None and \
            (causal := _causal_select(select)) is not None:
        found.ops += [select, *causal]
        found.causal, value = True, select.rhs
    if (mul := _op(value, MulOp)) is not None and (scale := _splat(mul.rhs)) is not None:
        found.ops.append(mul)
        found.scale, value = scale, mul.lhs
    product = _op(value, MatmulOp)
    if product is None:
        return None
    found.ops.append(product)
    return product, found


def _repeated_heads(value: SSAValue) -> tuple[SSAValue, list[Operation]] | None:
    """The `[N, Hkv, S, D]` tensor whose heads `lower-attention`'s `repeat_heads` chain
    repeats into `value`, and the chain's ops; else None."""
    merged = _op(value, ReshapeTailOp)
    spread = None if merged is None else _op(merged.input, BroadcastToOp)
    grouped = None if spread is None else _op(spread.input, ReshapeTailOp)
    if merged is None or spread is None or grouped is None:
        return None
    if merged.start.value.data != 1 or grouped.start.value.data != 2:
        return None
    source, before, after = grouped.input, _shape(grouped.result), _shape(spread.result)
    if len(_shape(source)) != 4 or before[2] != 1 or before[:2] + before[3:] != \
            after[:2] + after[3:]:
        return None
    return source, [merged, spread, grouped]


def _keys(kt: SSAValue, product: MatmulOp) -> tuple[SSAValue, list[Operation], Operation | None]:
    """Keys `[N, H, S, D]` for transposed keys `kt`: the transpose's input when it only
    swaps the last two axes, else a new transpose that composes them (built, not
    inserted); and the old transpose when the product alone reads it."""
    t = _op(kt, TransposeOp)
    if t is None:
        return kt, [], TransposeOp(kt, [0, 1, 3, 2])
    perm = list(t.permutation.get_values())
    swapped = [*perm[:-2], perm[-1], perm[-2]]
    inner: list[Operation] = [t] if _read_only_by(t, product) else []
    if swapped == list(range(len(perm))):
        return t.input, inner, None
    return t.input, inner, TransposeOp(t.input, swapped)


class SelectAttention(SelectionPattern):
    """`softmax(q @ kt * c (causal) (mask)) @ v` over 4-d `[N, H, T, D]` heads, as
    `lower-attention` emits it -> `torchcall.sdpa q, k, v`; heads that its `repeat_heads`
    chain repeats become the call's `gqa`."""

    def match(self, op: Operation) -> Selection | None:
        if not isinstance(op, MatmulOp) or not _is_float(op.lhs) or len(_shape(op.lhs)) != 4:
            return None
        div = _op(op.lhs, DivOp)
        e = None if div is None else _op(div.lhs, ExpOp)
        shifted = None if e is None else _shifted(e.input)
        if div is None or shifted is None or shifted[2] != 3:
            return None
        exp_sum = _exp_sum(div.rhs, shifted[0], 3)
        scores = _read_scores(shifted[0].lhs)
        if exp_sum is None or exp_sum[0] is not e or scores is None:
            return None
        product, found = scores
        if found.mask is not None and _shape(found.ops[0].results[0]) != _shape(product.result):
            return None  # a mask that widens the scores is no attention mask
        k, k_inner, k_new = _keys(product.rhs, product)
        v, v_inner = op.rhs, []
        if k_new is None and (kr := _repeated_heads(k)) and (vr := _repeated_heads(v)):
            (k, chain_k), (v, chain_v) = kr, vr
            k_inner += chain_k
            v_inner += chain_v
        key = k if k_new is None else k_new.results[0]
        gqa = _shape(key)[1] != _shape(product.lhs)[1]
        props: dict[str, Attribute] = {"scale": FloatAttr(found.scale, f64)}
        props |= {"causal": UnitAttr()} if found.causal else {}
        props |= {"gqa": UnitAttr()} if gqa else {}
        call = tc.SdpaOp(operands=[product.lhs, key, v, found.mask], properties=props,
                         result_types=[op.result.type])
        inner = (div, e, shifted[0], shifted[1], exp_sum[1], *found.ops, *k_inner, *v_inner)
        return Selection(inner, call, before=() if k_new is None else (k_new,))


PATTERNS: tuple[type[SelectionPattern], ...] = (
    SelectAttention, SelectLayerNorm, SelectRmsNorm, SelectGelu, SelectSoftmax, SelectLogSoftmax,
    SelectInt8Linear, SelectLinear, SelectSilu, SelectRelu, SelectScalarArith,
    SelectInt8QuantizeRows, SelectInt8RowScale,
)
"""The patterns, tried in order at each op: the wider before those they contain."""


@dataclass(frozen=True)
class SelectTorchCalls(ModulePass):
    """Replaces chains of tensorops that one PyTorch call computes by `torchcall` ops."""

    name = "select-torch-calls"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # One walk, last op first, never revisiting: a pattern sees the IR that the
        # patterns ending after it left, as the printer will print it.
        PatternRewriteWalker(
            GreedyRewritePatternApplier([p() for p in PATTERNS]),
            walk_reverse=True, apply_recursively=False,
        ).rewrite_module(op)
