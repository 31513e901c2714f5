"""The tensorops constant: a splat or small dense tensor literal (never a weight)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar, cast

from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType, i1
from xdsl.irdl import (
    AnyAttr, ParamAttrConstraint, VarConstraint, irdl_op_definition, prop_def, result_def,
    traits_def,
)
from xdsl.irdl.declarative_assembly_format import (
    AttributeVariable, CustomDirective, ParsingState, PrintingState, irdl_custom_directive,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, Pure

from mlang.dialects.tensorops.base import AnyElement, TensorOp

Scalar = int | float


@irdl_custom_directive
class ElementsValue(CustomDirective):
    """A `dense<...> : tensor<...>` value, written as hex bytes when it holds inf or NaN
    (xDSL prints those as integers that would parse back as finite numbers)."""

    value: AttributeVariable

    def parse(self, parser: Parser, state: ParsingState) -> None:
        self.value.set(state, parser.parse_attribute())

    def print(  # type: ignore[override]
        self, printer: Printer, state: PrintingState, op: ConstantOp
    ) -> None:
        state.print_whitespace(printer)
        splat = op.splat_value()
        values = op.values() if splat is None else (splat,)
        if all(map(math.isfinite, values)):
            printer.print_attribute(op.value)
            return
        data = op.value.data.data
        if splat is not None:
            data = data[: len(data) // len(op.value)]
        printer.print_string(f'dense<"0x{data.hex().upper()}"> : ')
        printer.print_attribute(op.value.type)


@irdl_op_definition
class ConstantOp(TensorOp):
    """A tensor literal: `tensorops.constant dense<1.000000e+00> : tensor<4xf32>`."""

    name = "tensorops.constant"
    T: ClassVar = VarConstraint("T", TensorType.constr(AnyElement))
    value = prop_def(ParamAttrConstraint(DenseIntOrFPElementsAttr, (T, AnyAttr())))
    result = result_def(T)
    traits = traits_def(Pure(), ConstantLike())
    custom_directives = (ElementsValue,)
    assembly_format = "custom<ElementsValue>($value) attr-dict"

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(properties={"value": value}, result_types=[value.get_type()])

    @classmethod
    def from_values(cls, type: TensorType, values: Sequence[Scalar]) -> ConstantOp:
        """A constant of `type` from its elements in row-major order (one value: a splat)."""
        dense = DenseIntOrFPElementsAttr.from_list(type, values)  # type: ignore[arg-type]
        return cls(dense)

    @classmethod
    def infer_result_type(cls, value: DenseIntOrFPElementsAttr) -> TensorType:
        """The type of the literal."""
        return cast(TensorType, value.get_type())

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(self.value)

    def values(self) -> tuple[Scalar, ...]:
        """The elements in row-major order (`i1` as 0 and 1)."""
        return self._decode(self.value.data.data, len(self.value))

    def splat_value(self) -> Scalar | None:
        """The common value of all elements, or None when they differ."""
        data, count = self.value.data.data, len(self.value)
        if count == 0:
            return None
        first = data[: len(data) // count]
        return self._decode(first, 1)[0] if data == first * count else None

    def _decode(self, data: bytes, count: int) -> tuple[Scalar, ...]:
        """`count` elements packed in `data`."""
        element = self.value.get_element_type()
        values = element.unpack(data, count)  # type: ignore[union-attr]
        if element == i1:
            return tuple(v & 1 for v in values)
        return values
