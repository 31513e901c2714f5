"""Canonicalization patterns of the `tensorops` dialect.

Ops carry the `TensorOpsCanonicalization` trait, which asks `canonicalization_patterns`
for the patterns rooted at their class. Folds keep the folded op's result type, and
constants are folded only with IEEE-exact functions, so that folding never changes a
result that PyTorch eager would compute, down to the sign of a zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from math import prod

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX, TensorType, bf16
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from mlang.dialects.tensorops import (
    AbsOp, AddOp, AndOp, BroadcastToOp, ConstantOp, DivOp, EqOp, GeOp, GtOp, LeOp, LtOp,
    MaximumOp, MinimumOp, MulOp, NegOp, NeOp, NotOp, OrOp, ReshapeOp, SqrtOp, SubOp,
    TensorOp, TransposeOp,
)
from mlang.dialects.tensorops.base import int_array

DENSE_FOLD_LIMIT = 64
"""Constants are folded into dense results of at most this many elements..."""
SPLAT_FOLD_LIMIT = 1 << 16
"""...and into splats of at most this many (xDSL stores a splat's every element)."""

EXACT_FUNCTIONS: dict[type[Operation], Callable[..., np.ndarray]] = {
    NegOp: np.negative, AbsOp: np.abs, SqrtOp: np.sqrt, NotOp: np.logical_not,
    AddOp: np.add, SubOp: np.subtract, MulOp: np.multiply, DivOp: np.divide,
    MaximumOp: np.maximum, MinimumOp: np.minimum, AndOp: np.logical_and, OrOp: np.logical_or,
    EqOp: np.equal, NeOp: np.not_equal, LtOp: np.less, LeOp: np.less_equal,
    GtOp: np.greater, GeOp: np.greater_equal,
}
"""Elementwise ops whose results NumPy computes bit for bit as PyTorch does."""

NUMPY_DTYPES = {
    "f16": np.float16, "f32": np.float32, "f64": np.float64,
    "i1": np.bool_, "i8": np.int8, "i32": np.int32, "i64": np.int64,
}


def _splat(value: SSAValue) -> int | float | None:
    """The splat value of a `tensorops.constant` result, else None."""
    owner = value.owner
    return owner.splat_value() if isinstance(owner, ConstantOp) else None


def _numel(t: TensorType) -> int | None:
    """The number of elements of a static tensor type."""
    shape = t.get_shape()
    return None if DYNAMIC_INDEX in shape else prod(shape)


def _replace_with_value(rewriter: PatternRewriter, op: Operation, value: SSAValue) -> None:
    """Replaces `op` by an existing value, if that has the type of `op`'s result."""
    if value.type == op.results[0].type:
        rewriter.replace(op, [], [value])


class FoldTransposeTranspose(RewritePattern):
    """`transpose(transpose(x, p), q)` -> `transpose(x, [p[i] for i in q])`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TransposeOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if not isinstance(inner, TransposeOp):
            return
        p, q = inner.permutation.get_values(), op.permutation.get_values()
        composed = TransposeOp.create(
            operands=[inner.input],
            properties={"permutation": int_array([p[i] for i in q])},
            result_types=[op.result.type],
        )
        rewriter.replace(op, composed)


class FoldIdentityTranspose(RewritePattern):
    """`transpose(x, [0, 1, ...])` -> `x`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TransposeOp, rewriter: PatternRewriter) -> None:
        if list(op.permutation.get_values()) == list(range(len(op.permutation))):
            _replace_with_value(rewriter, op, op.input)


class FoldReshapeReshape(RewritePattern):
    """`reshape(reshape(x))` -> `reshape(x)`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if isinstance(inner, ReshapeOp):
            folded = ReshapeOp.create(operands=[inner.input], result_types=[op.result.type])
            rewriter.replace(op, folded)


class FoldReshapeToSameShape(RewritePattern):
    """`reshape(x)` to the type of `x` -> `x`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeOp, rewriter: PatternRewriter) -> None:
        _replace_with_value(rewriter, op, op.input)


class FoldBroadcastToSameShape(RewritePattern):
    """`broadcast_to(x)` to the type of `x` -> `x`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BroadcastToOp, rewriter: PatternRewriter) -> None:
        _replace_with_value(rewriter, op, op.input)


class FoldBroadcastOfSplat(RewritePattern):
    """`broadcast_to(splat c)` -> a splat constant `c` of the result's static type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BroadcastToOp, rewriter: PatternRewriter) -> None:
        value, result = _splat(op.input), op.result.type
        assert isinstance(result, TensorType)
        numel = _numel(result)
        if value is not None and numel is not None and numel <= SPLAT_FOLD_LIMIT:
            rewriter.replace(op, ConstantOp.from_values(result, [value]))


class FoldAddZero(RewritePattern):
    """`x + z` and `z + x` -> `x` for a zero `z` that leaves every `x` as it is, when `z`
    does not broadcast `x` to a larger shape: an integer 0, or the float -0.0. A float
    +0.0 stays, since `-0.0 + 0.0` is `+0.0`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        for value, other in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            zero = _splat(other)
            if zero == 0 and (isinstance(zero, int) or math.copysign(1.0, zero) < 0):
                _replace_with_value(rewriter, op, value)
                return


class FoldMulOne(RewritePattern):
    """`x * 1` and `1 * x` -> `x`, when the one does not broadcast `x` to a larger shape."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MulOp, rewriter: PatternRewriter) -> None:
        for value, other in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if _splat(other) == 1:
                _replace_with_value(rewriter, op, value)
                return


class FoldConstantElementwise(RewritePattern):
    """An exact elementwise op of constants -> a constant: a splat if all operands are
    splats, else a dense constant of at most `DENSE_FOLD_LIMIT` elements."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TensorOp, rewriter: PatternRewriter) -> None:
        function = EXACT_FUNCTIONS.get(type(op))
        constants = [
            c for v in op.operands
            if isinstance(c := v.owner, ConstantOp) and c.value.get_element_type() != bf16
        ]
        result = op.results[0].type
        assert isinstance(result, TensorType)
        numel = _numel(result)
        if function is None or numel is None or len(constants) != len(op.operands):
            return
        folded = _evaluate(function, constants, result, numel)
        if folded is not None:
            rewriter.replace(op, folded)


def _evaluate(
    function: Callable[..., np.ndarray],
    constants: Sequence[ConstantOp],
    result: TensorType,
    numel: int,
) -> ConstantOp | None:
    """Applies `function` to constants with NumPy, or None when the result is too large."""
    splats = [c.splat_value() for c in constants]
    if all(s is not None for s in splats) and numel <= SPLAT_FOLD_LIMIT:
        with np.errstate(all="ignore"):
            value = function(*(np.array(s, _dtype(c)) for s, c in zip(splats, constants)))
        return ConstantOp.from_values(result, [value.item()])
    if numel > DENSE_FOLD_LIMIT:
        return None
    arrays = [np.array(c.values(), _dtype(c)).reshape(c.value.get_shape()) for c in constants]
    with np.errstate(all="ignore"):
        out = np.broadcast_to(function(*arrays), result.get_shape())
    return ConstantOp.from_values(result, out.ravel().tolist())


def _dtype(constant: ConstantOp) -> type[np.generic]:
    """The NumPy type of a constant's elements."""
    return NUMPY_DTYPES[str(constant.value.get_element_type())]


_PATTERNS: tuple[tuple[type[Operation], RewritePattern], ...] = (
    (TransposeOp, FoldTransposeTranspose()),
    (TransposeOp, FoldIdentityTranspose()),
    (ReshapeOp, FoldReshapeReshape()),
    (ReshapeOp, FoldReshapeToSameShape()),
    (BroadcastToOp, FoldBroadcastToSameShape()),
    (BroadcastToOp, FoldBroadcastOfSplat()),
    (AddOp, FoldAddZero()),
    (MulOp, FoldMulOne()),
    *((op, FoldConstantElementwise()) for op in EXACT_FUNCTIONS),
)


@cache
def canonicalization_patterns(op: type[Operation]) -> tuple[RewritePattern, ...]:
    """The patterns rooted at ops of class `op`."""
    return tuple(pattern for root, pattern in _PATTERNS if issubclass(op, root))
