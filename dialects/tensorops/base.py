"""Shared pieces of the tensorops dialect: element types, shape helpers, the
shape-inference interface every op implements, and the canonicalization trait.

Shapes are handled with the rules of `mlang.support.shapes` (a dimension is an `int`,
or `None` for `?`), so that the frontend's checker and these verifiers agree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, DenseArrayBase, TensorType, bf16, f16, f32, f64, i1, i8, i32, i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import AttrSetConstraint, EqAttrConstraint, IRDLOperation
from xdsl.pattern_rewriter import RewritePattern
from xdsl.traits import HasCanonicalizationPatternsTrait
from xdsl.utils.exceptions import VerifyException

from mlang.support.shapes import ShapeError, dims_conflict

FLOAT_TYPES = (f16, bf16, f32, f64)
INTEGER_TYPES = (i8, i32, i64)

FloatElement = AttrSetConstraint.get(*FLOAT_TYPES)
"""Floating-point elements: what transcendental functions accept."""
NumberElement = AttrSetConstraint.get(*FLOAT_TYPES, *INTEGER_TYPES)
"""Floats and signed integers: what arithmetic accepts (not `i1`)."""
AnyElement = AttrSetConstraint.get(*FLOAT_TYPES, *INTEGER_TYPES, i1)
"""Every element type of the dialect."""
BoolElement = EqAttrConstraint(i1)
"""Booleans, the result of comparisons."""
IndexElement = AttrSetConstraint.get(i32, i64)
"""Integer ids (`gather`)."""

_T = TypeVar("_T")

Sizes = tuple[int | None, ...]
"""The sizes of a tensor type: an int per dimension, None for `?` (a `Shape` without
the frontend's symbolic sizes)."""


def sizes_of(t: Attribute) -> Sizes:
    """The sizes of a tensor type, `?` as None (unlike `model.types.shape_of`, which also
    takes host scalars, as 0-d)."""
    assert isinstance(t, TensorType)
    return tuple(None if d == DYNAMIC_INDEX else d for d in t.get_shape())


def tensor_of(element: Attribute, shape: Sequence[int | str | None]) -> TensorType:
    """A tensor type from a shape whose unknown sizes become `?`."""
    return _tensor_type(element, tuple(d if isinstance(d, int) else DYNAMIC_INDEX for d in shape))


@lru_cache(maxsize=1024)
def _tensor_type(element: Attribute, sizes: tuple[int, ...]) -> TensorType:
    """`TensorType(element, sizes)`, built once per distinct type: building one verifies
    it, and shape inference needs one per op built and again per op verified."""
    return TensorType(element, sizes)


def tensor_type_of(value: SSAValue) -> TensorType:
    """The type of a tensor value."""
    if not isinstance(value.type, TensorType):
        raise VerifyException(f"expected a tensor, got {value.type}")
    return value.type


def int_array(values: Sequence[int]) -> DenseArrayBase:
    """An `array<i64: ...>` property."""
    return DenseArrayBase.from_list(i64, values)


def normalize_axes(axes: Sequence[int], rank: int) -> tuple[int, ...]:
    """Maps axes into `0..rank-1` (negative ones count from the end)."""
    for axis in axes:
        if not -rank <= axis < rank:
            raise ShapeError(f"axis {axis} is out of range for rank {rank}")
    return tuple(axis % rank for axis in axes)


def is_compatible(actual: Attribute, expected: TensorType) -> bool:
    """Whether a declared result type agrees with the inferred one (`?` matches any size)."""
    if not isinstance(actual, TensorType) or actual.element_type != expected.element_type:
        return False
    a, e = sizes_of(actual), sizes_of(expected)
    return len(a) == len(e) and not any(dims_conflict(x, y) for x, y in zip(a, e))


def checked(op_name: str, infer: Callable[..., _T], *args: object) -> _T:
    """Calls a shape rule, reporting a `ShapeError` as a `VerifyException` naming the op."""
    try:
        return infer(*args)
    except (ShapeError, VerifyException) as err:
        raise VerifyException(f"{op_name}: {err}") from None


class TensorOp(IRDLOperation, ABC):
    """A tensorops op: one tensor result whose type follows from operands and properties.

    This is the dialect's shape-inference interface. Each op class has a classmethod
    `infer_result_type(...)` over operand types and static parameters, which its builder
    calls; `inferred_type()` applies it to the op itself, and the verifier checks the
    declared result type against it.
    """

    @abstractmethod
    def inferred_type(self) -> TensorType:
        """The result type implied by the operand types and properties."""

    def verify_(self) -> None:
        expected = checked(self.name, self.inferred_type)
        actual = self.results[0].type
        if not is_compatible(actual, expected):
            raise VerifyException(
                f"{self.name}: result type {actual} does not match the inferred type {expected}"
            )


@dataclass(frozen=True)
class TensorOpsCanonicalization(HasCanonicalizationPatternsTrait):
    """Gives an op the patterns of `passes/canonicalization/tensorops.py` rooted at it."""

    def get_patterns(self, op: type[Operation]) -> tuple[RewritePattern, ...]:
        from mlang.passes.canonicalization.tensorops import canonicalization_patterns

        return canonicalization_patterns(op)

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        raise NotImplementedError("tensorops patterns depend on the op: use get_patterns")
