"""Shared verification helpers for `model` ops: shape rules come from support.shapes."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects.builtin import BoolAttr, IntegerAttr, UnrankedTensorType
from xdsl.ir import Attribute, Operation
from xdsl.irdl import IRDLOperation
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.types import element_of, shape_of
from mlang.support.shapes import Shape, ShapeError, dims_conflict, fmt_shape


def expect_shape(op: Operation, compute: Callable[[], Shape], result: Attribute) -> None:
    """Verifies that `result` has the shape that `compute` derives from the operands.

    Nothing is checked when a tensor of unknown rank is involved (a loaded model's output).
    """
    if any(isinstance(v.type, UnrankedTensorType) for v in (*op.operands, *op.results)):
        return
    try:
        expected = compute()
    except ShapeError as err:
        # Rules name what they check (`concat: sizes ...`); the op name says it already.
        message = str(err).removeprefix(f"{op.name.removeprefix('model.')}: ")
        raise VerifyException(f"{op.name}: {message}") from None
    actual = shape_of(result)
    if len(actual) != len(expected) or any(
        dims_conflict(a, e) for a, e in zip(actual, expected)
    ):
        raise VerifyException(
            f"{op.name}: result shape {fmt_shape(actual)} does not match the expected "
            f"{fmt_shape(expected)}"
        )


class ShapedResult(IRDLOperation):
    """The shape-inference interface: the shape of the op's one result follows from its
    operands and properties. `verify_` checks the declared result against it, and the
    `infer-shapes` pass uses it to refine unknown sizes."""

    def result_shape(self) -> Shape:
        """The result shape implied by the operands; raises ShapeError on a mismatch."""
        raise NotImplementedError

    def verify_(self) -> None:
        expect_shape(self, self.result_shape, self.results[0].type)


def expect_element(op: Operation, value_type: Attribute, expected: Attribute, what: str) -> None:
    """Verifies an element type (of a tensor or a host scalar)."""
    if element_of(value_type) != expected:
        raise VerifyException(f"{op.name}: {what} must have element type {expected}")


def int_prop(attr: IntegerAttr | None) -> int | None:
    """The Python value of an optional integer property."""
    return None if attr is None else attr.value.data


def bool_prop(attr: IntegerAttr | None) -> bool:
    """The Python value of an optional boolean property (absent is false)."""
    return attr is not None and bool(attr.value.data)


def bool_attr(value: bool) -> IntegerAttr:
    """A builtin boolean attribute (`true`/`false`)."""
    return BoolAttr(1 if value else 0, 1)
