"""What the `lower-*` passes share: where they rewrite, and how a pattern builds the tensor
ops that replace one model op.

The passes rewrite the methods of every `model.def` and nothing else: the host program
(`func.func @main`) keeps its model ops, which the runtime evaluates. A pattern subclasses
`ModelOpLowering` and implements `lower(op, b)`: it builds tensor ops with the `Lowering`
builder `b` and returns the value that replaces the op's result.

Lowering is all or nothing. Each op built is verified at once; when the model op's operand
types are ones the tensor ops cannot express (`tensorops.maximum` of booleans, say), the
`VerifyException` abandons the rewrite, the ops built so far are dropped, and the model op
stays for `check-lowered` to report with its location.

Emitters that several lowerings use (`emit_linear`, `emit_softmax`, ...) live here, and so
does tensor-level legality (`is_tensor_level`), which `check-lowered` and `quantize` share:
no pass imports another pass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import IntegerType, TensorType, f16, f32, i64
from xdsl.ir import Attribute, Operation, Region, SSAValue
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier, PatternRewriter, PatternRewriteWalker, RewritePattern,
)
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.structure import DefOp, GetParamOp
from mlang.dialects.model.types import dtype_name
from mlang.dialects.tensorops import (
    AddOp, CastOp, ConstantOp, DivOp, EqOp, ExpOp, LogOp, MatmulOp, ReduceMaxOp, ReduceSumOp,
    ReshapeOp, ReshapeTailOp, SubOp, TransposeOp,
)
from mlang.dialects.tensorops.base import Sizes, sizes_of, tensor_type_of
from mlang.support.floats import rounded
from mlang.support.shapes import ShapeError

OpT = TypeVar("OpT", bound=Operation)
Scalar = int | float


def rewrite_model_methods(root: Operation, patterns: Sequence[ModelOpLowering[Any]]) -> None:
    """Applies `patterns` greedily to the model methods in `root`, as a
    `PatternRewriteWalker` over a `GreedyRewritePatternApplier` of them would."""
    walker = PatternRewriteWalker(GreedyRewritePatternApplier([_ByOpClass(patterns)]))
    for region in _method_regions(root):
        walker.rewrite_region(region)


def _method_regions(op: Operation) -> Iterator[Region]:
    """The regions of model methods in `op`: the body of `op` itself when it is a
    `model.def`, or a method of one (a pipeline nested as `model.def(...)` or
    `model.def(func.func(...))`), else the bodies of the `model.def`s nested in it,
    found without walking those bodies (they hold nearly all ops, and no `model.def`)."""
    if isinstance(op, DefOp) or isinstance(op.parent_op(), DefOp):
        yield op.regions[0]
        return
    for region in op.regions:
        for block in region.blocks:
            for child in block.ops:
                if isinstance(child, DefOp):
                    yield child.body
                elif child.regions:
                    yield from _method_regions(child)


def element(value: SSAValue) -> Attribute:
    """The element type of a tensor value."""
    return tensor_type_of(value).element_type


def shape(value: SSAValue) -> Sizes:
    """The shape of a tensor value, `?` as None."""
    return sizes_of(tensor_type_of(value))


def rank(value: SSAValue) -> int:
    """The number of dimensions of a tensor value."""
    return len(tensor_type_of(value).get_shape())


@dataclass
class Lowering:
    """Builds, in order, the verified tensor ops that replace `source`, each located where
    `source` is."""

    source: Operation
    ops: list[Operation] = field(default_factory=list[Operation])

    def __call__(self, op: Operation) -> SSAValue:
        """Adds `op` and returns its result; raises `VerifyException` if it is invalid."""
        op.location = self.source.location
        try:
            op.verify()
        except VerifyException:
            op.drop_all_references()
            raise
        self.ops.append(op)
        return op.results[0]

    def constant(
        self, value: Scalar, element_type: Attribute, sizes: Sequence[int] = ()
    ) -> SSAValue:
        """A splat constant of `value` converted to `element_type` (0-d unless `sizes`);
        a float beyond the type's range is an infinity, as in torch."""
        if isinstance(element_type, IntegerType):
            value = int(value)
        elif element_type in (f16, f32):
            value = rounded(float(value), dtype_name(element_type))
        return self(ConstantOp.from_values(TensorType(element_type, sizes), [value]))

    def cast(self, value: SSAValue, element_type: Attribute) -> SSAValue:
        """`value` converted to `element_type`, or `value` itself if it has that type."""
        if element(value) == element_type:
            return value
        return self(CastOp(value, element_type))

    def retyped(self, value: SSAValue, declared: Attribute) -> SSAValue:
        """`value` with the `declared` type of the result it replaces, which later ops and
        the method's signature expect: when the types differ only in sizes that one of them
        leaves unknown, the last op built is rebuilt with the declared type."""
        if value.type == declared:
            return value
        last = self.ops[-1] if self.ops else None
        if last is None or value is not last.results[0]:
            raise VerifyException(f"cannot give {value.type} the declared type {declared}")
        self.ops.pop()
        rebuilt = type(last).create(
            operands=list(last.operands), properties=dict(last.properties),
            attributes=dict(last.attributes), result_types=[declared],
        )
        last.drop_all_references()
        return self(rebuilt)

    def discard(self) -> None:
        """Drops the ops built so far, so that the values they use lose those uses."""
        for op in reversed(self.ops):
            op.drop_all_references()
        self.ops.clear()


class ModelOpLowering(RewritePattern, ABC, Generic[OpT]):
    """Replaces each model op of class `source` by the tensor ops that `lower` builds."""

    source: ClassVar[type[Operation] | tuple[type[Operation], ...]]

    @abstractmethod
    def lower(self, op: OpT, b: Lowering) -> SSAValue:
        """Builds the tensor ops computing `op` with `b`; returns the replacement value."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, self.source):
            return
        b = Lowering(op)
        try:
            value = b.retyped(self.lower(cast(OpT, op), b), op.results[0].type)
        except (VerifyException, ShapeError):
            b.discard()  # Types the tensor ops cannot express: check-lowered reports the op.
            return
        rewriter.replace(op, b.ops, [value])
        _unname_all_but(value, b.ops)


@dataclass(eq=False)
class _ByOpClass(RewritePattern):
    """Tries on an op, in order, only those of `patterns` whose `source` the op's class is:
    what trying each pattern in turn does, without testing every op against all of them."""

    patterns: Sequence[ModelOpLowering[Any]]
    by_class: dict[type[Operation], tuple[ModelOpLowering[Any], ...]] = field(
        default_factory=dict[type[Operation], tuple[ModelOpLowering[Any], ...]]
    )

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        matching = self.by_class.get(type(op))
        if matching is None:
            matching = tuple(p for p in self.patterns if isinstance(op, p.source))
            self.by_class[type(op)] = matching
        for pattern in matching:
            pattern.match_and_rewrite(op, rewriter)
            if rewriter.has_done_action:
                return


def _unname_all_but(value: SSAValue, ops: Sequence[Operation]) -> None:
    """Drops the name that `rewriter.replace` gives every new value after the replaced
    result, except from `value`, which does replace it."""
    for result in (r for op in ops for r in op.results if r is not value):
        result.name_hint = None


# ----------------------------------------------------------------- shared emitters


def emit_linear(b: Lowering, x: SSAValue, weight: SSAValue, bias: SSAValue | None) -> SSAValue:
    """`x @ weight^T (+ bias)` on the last dimension of `x`."""
    y = b(MatmulOp(x, b(TransposeOp(weight, [1, 0]))))
    return y if bias is None else b(AddOp(y, bias))


def emit_reshape_from(b: Lowering, x: SSAValue, start: int, tail: Sequence[int]) -> SSAValue:
    """`x` with the dimensions from `start` reshaped to `tail` (-1: inferred), the leading
    ones kept: a `tensorops.reshape` if that can say it (one unknown size at most), else a
    `tensorops.reshape_tail`."""
    lead = [-1 if d is None else d for d in shape(x)[:start]]
    if [*lead, *tail].count(-1) <= 1:
        return b(ReshapeOp(x, [*lead, *tail]))
    return b(ReshapeTailOp(x, start, tail))


def emit_unsqueeze_last(b: Lowering, x: SSAValue) -> SSAValue:
    """`x` with a trailing dimension of size 1."""
    return emit_reshape_from(b, x, rank(x), [1])


def emit_one_hot_mask(b: Lowering, ids: SSAValue, classes: SSAValue) -> SSAValue:
    """`[*ids] -> [*ids, n]` booleans, true at each id, given `classes`, the i64 indices
    `[0, ..., n-1]` along a last dimension that broadcasts against `ids`."""
    return b(EqOp(emit_unsqueeze_last(b, b.cast(ids, i64)), classes))


def emit_softmax(b: Lowering, x: SSAValue, axis: int) -> SSAValue:
    """Stable softmax along `axis`: exp(x - max) / sum(exp(x - max))."""
    e = b(ExpOp(b(SubOp(x, b(ReduceMaxOp(x, axis, keepdim=True))))))
    return b(DivOp(e, b(ReduceSumOp(e, axis, keepdim=True))))


def emit_log_softmax(b: Lowering, x: SSAValue, axis: int) -> SSAValue:
    """Stable log-softmax along `axis`: (x - max) - log(sum(exp(x - max)))."""
    shifted = b(SubOp(x, b(ReduceMaxOp(x, axis, keepdim=True))))
    total = b(ReduceSumOp(b(ExpOp(shifted)), axis, keepdim=True))
    return b(SubOp(shifted, b(LogOp(total))))


# ------------------------------------------------------------------------ legality


def is_tensor_level(op: Operation) -> bool:
    """Whether `op` may appear in a model method after `lower-to-tensor`."""
    if op.dialect_name() == "tensorops":
        return True
    return isinstance(op, (GetParamOp, arith.ConstantOp, func.ReturnOp, func.CallOp))


def not_tensor_level(op: Operation, what: str) -> str:
    """Why `what` (a pass) cannot take an op that is not at tensor level."""
    if op.dialect_name() == "kernel":
        return (f"'{op.name}' is kernel IR, past tensor level: {what} runs on tensor ops, "
                "before kernel fusion (lower-to-kernel)")
    return f"'{op.name}' is not a tensor op: run lower-to-tensor first"
