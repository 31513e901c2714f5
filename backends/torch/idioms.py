"""Instruction selection for the torch backend: patterns of tensor ops that one PyTorch
call computes.

The lowering spells every model op in the closed set of tensorops: a linear layer is a
transpose, a matmul and an add; a layer norm is nine ops. Printed one op per statement, a
BERT-base forward pass makes ~2.5x the PyTorch calls that eager makes, each a pass over
memory and an allocation. Before printing a function, the emitter asks `match` about each
op, last to first: an op that ends one of these patterns is printed as the single call,

    matmul(x, transpose(w, [1, 0])) (+ b)                  torch.nn.functional.linear
    div(exp(x - max(x)), sum(exp(x - max(x))))             torch.softmax
    (x - max(x)) - log(sum(exp(x - max(x))))               torch.log_softmax
    the nine ops of `lower-norms`' layer norm              torch.nn.functional.layer_norm
    (x * 0.5) * (1 + erf(x * sqrt(1/2)))                   torch.nn.functional.gelu
    x * sigmoid(x)                                         torch.nn.functional.silu
    maximum(x, 0)                                          torch.relu
    x + c, c - x, x * c, x / c for a 0-d float constant c  Python's operators and a number
    c / x                                                  torch.div(c, x)
    select(gt(m, 0), m, 1), m = max(amax(x), -amin(x))/127  int8_row_scale (`kernels.py`)
    quantize(x, s) and s = int8_row_scale(x, d)            int8_quantize_rows (`kernels.py`)
    cast(matmul(xq, w) : i32 -> f) * xs * ws (+ b)         int8_scaled_matmul (`kernels.py`)
        ... where w and ws are transposes of matrices       int8_linear (`kernels.py`)

and the other ops of the pattern are not printed. A pattern matches only when each of its
inner values is read by the pattern alone, so nothing else needs them, or is one that the
call gives besides the root's (`also`: `int8_quantize_rows` gives the scales too);
constants are matched by value and stay (the emitter drops them when nothing reads them
any more).
Each replacement computes what the ops compute, in float32 to within rounding (PyTorch's
fused kernels reorder sums), and exactly for the int8 patterns, which keep the order of
operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import AnyFloat, DenseIntOrFPElementsAttr, TensorType, i8
from xdsl.ir import Operation, SSAValue

from mlang.dialects.tensorops import (
    AddOp, CastOp, ConstantOp, DivOp, ErfOp, ExpOp, GtOp, LogOp, MatmulOp, MaximumOp, MulOp,
    NegOp, QuantizeOp, ReduceMaxOp, ReduceMeanOp, ReduceMinOp, ReduceSumOp, ReductionOp,
    RsqrtOp, SelectOp, SigmoidOp, SubOp, TransposeOp,
)


OpT = TypeVar("OpT", bound=Operation)
ReductionT = TypeVar("ReductionT", bound=ReductionOp)


@dataclass(frozen=True)
class Idiom:
    """One PyTorch call that computes the result of `root` from `inputs`, standing for
    `root` and the `inner` ops of its pattern."""

    root: Operation
    inner: tuple[Operation, ...]
    inputs: tuple[SSAValue, ...]
    template: str
    """The call, with `{0}`, `{1}`, ... for the names of `inputs`."""
    also: tuple[SSAValue, ...] = ()
    """Values of inner ops that the call gives too, after the root's: it returns a tuple.
    Every op that reads one comes after the root."""

    def expression(self, names: Sequence[str]) -> str:
        """The call, given the Python names of the inputs."""
        return self.template.format(*names)


Matcher = Callable[[Operation], "Idiom | None"]


def match(op: Operation) -> Idiom | None:
    """The idiom that `op` ends, or None."""
    for matcher in MATCHERS.get(type(op), ()):
        if (idiom := matcher(op)) is not None and _private(idiom):
            return idiom
    return None


def _private(idiom: Idiom) -> bool:
    """Whether the values of the idiom's inner ops are read by the idiom's ops only, and
    never as inputs of the call (`x @ transpose(x)` is no linear layer of `x`)."""
    ops = {idiom.root, *idiom.inner}
    return all(
        use.operation in ops or r in idiom.also
        for op in idiom.inner for r in op.results for use in r.uses
    ) and not any(v.owner in idiom.inner for v in idiom.inputs)


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


def _short(x: float) -> str:
    """The shortest literal that gives `x` once rounded to float32 (`1e-05`)."""
    return str(np.float32(x))


def _shape(value: SSAValue) -> tuple[int, ...]:
    """The static sizes of a tensor value (-1 for unknown ones)."""
    t = value.type
    assert isinstance(t, TensorType)
    return tuple(t.get_shape())


def _is_float(value: SSAValue) -> bool:
    """Whether a tensor value has floating-point elements."""
    t = value.type
    return isinstance(t, TensorType) and isinstance(t.element_type, AnyFloat)


def _is_int8(value: SSAValue) -> bool:
    """Whether a tensor value has int8 elements."""
    t = value.type
    return isinstance(t, TensorType) and t.element_type == i8


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


# ------------------------------------------------------------------------ float32


def _linear(op: Operation) -> Idiom | None:
    """`matmul(x, transpose(w, [1, 0])) (+ b)` -> `linear(x, w, b)`."""
    matmul, bias = op, None
    if isinstance(op, AddOp):
        for product, other in _both(op):
            if (m := _op(product, MatmulOp)) is not None and _shape(other) == _shape(product)[-1:]:
                matmul, bias = m, other
                break
        if bias is None or op.results[0].type != matmul.results[0].type:
            return None
    if not isinstance(matmul, MatmulOp) or not _is_float(matmul.lhs):
        return None
    t = _transposed(matmul.rhs)
    if t is None:
        return None
    # A transpose that another matmul reads too (a layer called twice) is left out of the
    # pattern: each call reads `w`, and the transpose goes once nothing reads it.
    inner: tuple[Operation, ...] = (t,) if _read_only_by(t, matmul) else ()
    if bias is not None:
        inner += (matmul,)
    x, w = matmul.lhs, t.operands[0]
    if bias is None:
        return Idiom(op, inner, (x, w), "torch.nn.functional.linear({0}, {1})")
    return Idiom(op, inner, (x, w, bias), "torch.nn.functional.linear({0}, {1}, {2})")


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


def _softmax(op: Operation) -> Idiom | None:
    """`exp(x - max) / sum(exp(x - max))` -> `torch.softmax(x, dim)`."""
    e = _op(op.operands[0], ExpOp)
    shifted = None if e is None else _shifted(e.operands[0])
    if e is None or shifted is None or not _is_float(op.results[0]):
        return None
    sub, high, axis = shifted
    exp_sum = _exp_sum(op.operands[1], sub, axis)
    if exp_sum is None or exp_sum[0] is not e:
        return None
    return Idiom(op, (high, sub, *exp_sum), (sub.operands[0],), f"torch.softmax({{0}}, dim={axis})")


def _log_softmax(op: Operation) -> Idiom | None:
    """`(x - max) - log(sum(exp(x - max)))` -> `torch.log_softmax(x, dim)`."""
    shifted, log = _shifted(op.operands[0]), _op(op.operands[1], LogOp)
    if shifted is None or log is None or not _is_float(op.results[0]):
        return None
    sub, high, axis = shifted
    exp_sum = _exp_sum(log.operands[0], sub, axis)
    if exp_sum is None:
        return None
    return Idiom(op, (high, sub, *exp_sum, log), (sub.operands[0],),
                 f"torch.log_softmax({{0}}, dim={axis})")


def _layer_norm(op: Operation) -> Idiom | None:
    """The nine ops of `lower-norms`' layer norm over the last axis -> `layer_norm`."""
    for scaled, bias in _both(op):
        if (idiom := _layer_norm_from(op, scaled, bias)) is not None:
            return idiom
    return None


def _layer_norm_from(op: Operation, scaled: SSAValue, bias: SSAValue) -> Idiom | None:
    """`layer_norm` with `scaled = normed * weight`, or None."""
    mul_w = _op(scaled, MulOp)
    normed = None if mul_w is None else _op(mul_w.operands[0], MulOp)
    if mul_w is None or normed is None or not _is_float(op.results[0]):
        return None
    weight = mul_w.operands[1]
    centred, r = _op(normed.operands[0], SubOp), _op(normed.operands[1], RsqrtOp)
    plus_eps = None if r is None else _op(r.operands[0], AddOp)
    if centred is None or plus_eps is None:
        return None
    x, last = centred.operands[0], len(_shape(op.results[0])) - 1
    mean = _reduce(centred.operands[1], ReduceMeanOp, x)
    var = _op(plus_eps.operands[0], ReduceMeanOp)
    eps = _splat(plus_eps.operands[1])
    square = None if var is None else _op(var.operands[0], MulOp)
    if (r is None or mean is None or var is None or eps is None or square is None
            or list(square.operands) != [centred.results[0]] * 2
            or mean[1] != last or _axis(var) != last):
        return None
    size = _shape(x)[-1]
    if (size < 0 or _shape(weight) != (size,) or _shape(bias) != (size,)
            or _shape(x) != _shape(op.results[0])):
        return None
    inner = (mean[0], centred, square, var, plus_eps, r, normed, mul_w)
    return Idiom(op, inner, (x, weight, bias),
                 f"torch.nn.functional.layer_norm({{0}}, ({size},), {{1}}, {{2}}, {_short(eps)})")


def _gelu(op: Operation) -> Idiom | None:
    """`(x * 0.5) * (1 + erf(x * sqrt(1/2)))` -> `gelu(x)`."""
    for half, one_plus in _both(op):
        mul_half, add = _op(half, MulOp), _op(one_plus, AddOp)
        if mul_half is None or add is None or not _is_f32_of(mul_half.operands[1], 0.5):
            continue
        x = mul_half.operands[0]
        for erf_value, one in _both(add):
            erf = _op(erf_value, ErfOp)
            scaled = None if erf is None else _op(erf.operands[0], MulOp)
            if (erf is not None and scaled is not None and _is_f32_of(one, 1.0)
                    and scaled.operands[0] == x and _is_f32_of(scaled.operands[1], math.sqrt(0.5))
                    and _shape(x) == _shape(op.results[0]) and _is_float(x)):
                return Idiom(op, (mul_half, scaled, erf, add), (x,),
                             "torch.nn.functional.gelu({0})")
    return None


def _silu(op: Operation) -> Idiom | None:
    """`x * sigmoid(x)` -> `silu(x)`."""
    for x, s in _both(op):
        sigmoid = _op(s, SigmoidOp)
        if sigmoid is not None and sigmoid.operands[0] == x and _is_float(x) and (
                _shape(x) == _shape(op.results[0])):
            return Idiom(op, (sigmoid,), (x,), "torch.nn.functional.silu({0})")
    return None


def _relu(op: Operation) -> Idiom | None:
    """`maximum(x, 0)` -> `torch.relu(x)`."""
    x, zero = op.operands
    value = _splat(zero)
    # Only +0: `maximum(x, -0.0)` is -0.0 where x < 0, where relu gives +0.0.
    if value == 0.0 and math.copysign(1.0, value) > 0 and _shape(x) == _shape(op.results[0]):
        return Idiom(op, (), (x,), "torch.relu({0})")
    return None


OPERATORS = {AddOp: "+", SubOp: "-", MulOp: "*", DivOp: "/"}


def _scalar_operand(op: Operation) -> Idiom | None:
    """Arithmetic with a 0-d float32 or float64 constant -> a Python operator and number
    (`x * 0.125`), which PyTorch computes in the tensor's type as it does the constant."""
    lhs, rhs = op.operands
    symbol = OPERATORS[type(op)]
    for tensor, constant in ((lhs, rhs), (rhs, lhs)):
        value = _splat(constant)
        if (value is None or not math.isfinite(value) or constant.type != _scalar_type(tensor)
                or _shape(tensor) != _shape(op.results[0])):
            continue
        number = _short(value) if _element(tensor) == "f32" else repr(value)
        if constant is rhs:
            return Idiom(op, (), (tensor,), f"({{0}} {symbol} {number})")
        if isinstance(op, DivOp):  # `c / x` is `c * reciprocal(x)` in torch: two roundings
            return Idiom(op, (), (tensor,), f"torch.div({number}, {{0}})")
        return Idiom(op, (), (tensor,), f"({number} {symbol} {{0}})")
    return None


def _scalar_type(value: SSAValue) -> TensorType | None:
    """The 0-d tensor type of `value`'s elements, for float32 and float64 values."""
    t = value.type
    if isinstance(t, TensorType) and str(t.element_type) in ("f32", "f64"):
        return TensorType(t.element_type, [])
    return None


def _element(value: SSAValue) -> str:
    """The name of a tensor value's element type (`f32`)."""
    t = value.type
    assert isinstance(t, TensorType)
    return str(t.element_type)


# ------------------------------------------------------------------------ int8


def _int8_row_scale(op: Operation) -> Idiom | None:
    """`quantize`'s per-row scale of `x` (absmax / 127, 1 for an all-zero row) ->
    `int8_row_scale(x, dim)`."""
    assert isinstance(op, SelectOp)
    found = _row_scale_of(op)
    if found is None:
        return None
    x, dim, inner = found
    return Idiom(op, inner, (x,), f"int8_row_scale({{0}}, {dim})")


def _row_scale_of(op: SelectOp) -> tuple[SSAValue, int, tuple[Operation, ...]] | None:
    """`x`, the axis, and the ops before the select, where `op` is the per-row scale of
    `x`; else None."""
    gt = _op(op.operands[0], GtOp)
    s0 = op.operands[1]
    div = _op(s0, DivOp)
    if (gt is None or div is None or list(gt.operands)[0] != s0 or _splat(gt.operands[1]) != 0.0
            or not _is_f32_of(op.operands[2], 1.0) or not _is_f32_of(div.operands[1], 127.0)):
        return None
    absmax = _op(div.operands[0], MaximumOp)
    neg = None if absmax is None else _op(absmax.operands[1], NegOp)
    high = None if absmax is None else _op(absmax.operands[0], ReduceMaxOp)
    if neg is None or high is None:
        return None
    x = high.operands[0]
    low = _reduce(neg.operands[0], ReduceMinOp, x)
    if low is None or _axis(high) != low[1]:
        return None
    return x, low[1], (high, low[0], neg, absmax, div, gt)


def _int8_quantize_rows(op: Operation) -> Idiom | None:
    """`quantize(x, s)` of the per-row scale `s` of `x` -> `int8_quantize_rows(x, dim)`,
    which gives `s` too, when everything else that reads `s` comes after the quantize."""
    assert isinstance(op, QuantizeOp)
    select = _op(op.scale, SelectOp)
    found = None if select is None else _row_scale_of(select)
    if select is None or found is None or found[0] != op.input:
        return None
    if not all(_comes_after(use.operation, op) for use in select.result.uses):
        return None
    x, dim, inner = found
    return Idiom(op, (select, *inner), (x,), f"int8_quantize_rows({{0}}, {dim})",
                 also=(select.result,))


def _comes_after(op: Operation, anchor: Operation) -> bool:
    """Whether `op` is `anchor` or follows it in its block."""
    while op is not anchor:
        before = op.prev_op
        if before is None:
            return False
        op = before
    return True


def _int8_linear(op: Operation) -> Idiom | None:
    """`cast(matmul(xq, w) : i32) * xs * ws (+ b)` -> `int8_scaled_matmul(xq, w, xs, ws, b)`,
    or `int8_linear(xq, wq, xs, sq, b)` when `w` and `ws` are `transpose [1, 0]` of
    matrices `wq` and `sq`, as `quantize` spells a linear layer's weight."""
    bias, scaled = None, op
    if isinstance(op, AddOp):
        scaled, bias = _op(op.operands[0], MulOp), op.operands[1]
    by_row = None if scaled is None else _op(scaled.operands[0], MulOp)
    cast = None if by_row is None else _op(by_row.operands[0], CastOp)
    matmul = None if cast is None else _op(cast.operands[0], MatmulOp)
    if (scaled is None or by_row is None or cast is None or matmul is None
            or not _is_int8(matmul.operands[0]) or op.results[0].type != cast.results[0].type):
        return None
    xq, w, xs, ws = matmul.operands[0], matmul.operands[1], by_row.operands[1], scaled.operands[1]
    inner: tuple[Operation, ...] = tuple(o for o in (scaled, by_row, cast, matmul) if o is not op)
    function = "int8_scaled_matmul"
    wt, st = _transposed(w), _transposed(ws)
    if wt is not None and st is not None:
        # As in `_linear`, a transpose that another call of the layer reads stays out.
        function, w, ws = "int8_linear", wt.operands[0], st.operands[0]
        inner += tuple(t for t, reader in ((wt, matmul), (st, scaled)) if _read_only_by(t, reader))
    inputs = (xq, w, xs, ws) if bias is None else (xq, w, xs, ws, bias)
    names = ", ".join(f"{{{i}}}" for i in range(len(inputs)))
    return Idiom(op, inner, inputs, f"{function}({names})")


MATCHERS: dict[type[Operation], tuple[Matcher, ...]] = {
    AddOp: (_layer_norm, _int8_linear, _linear, _scalar_operand),
    MatmulOp: (_linear,),
    MulOp: (_gelu, _int8_linear, _silu, _scalar_operand),
    DivOp: (_softmax, _scalar_operand),
    SubOp: (_log_softmax, _scalar_operand),
    MaximumOp: (_relu,),
    SelectOp: (_int8_row_scale,),
    QuantizeOp: (_int8_quantize_rows,),
}
"""The patterns that may end at an op of each class, tried in order."""
