"""Tensorops whose values do not depend on operand values: `constant`, a splat or small
dense tensor literal (never a weight), `iota`, indices along an axis of a tensor, and
`random`, samples of a distribution."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar, TypeGuard, cast

from xdsl.dialects.builtin import (
    I64, AnyFloat, DenseIntOrFPElementsAttr, IntegerAttr, IntegerType, StringAttr, TensorType,
    f32, i1, i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AnyAttr, IRDLOperation, ParamAttrConstraint, VarConstraint, irdl_op_definition, operand_def,
    opt_prop_def, prop_def, result_def, traits_def,
)
from xdsl.irdl.declarative_assembly_format import (
    AttributeVariable, CustomDirective, ParsingState, PrintingState, irdl_custom_directive,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.tensorops.base import (
    AnyElement, IndexElement, TensorOp, checked, normalize_axes, sizes_of, tensor_of,
    tensor_type_of,
)
from mlang.support.shapes import ShapeError

Scalar = int | float


def _holds_floats(type: TensorType) -> TypeGuard[TensorType[AnyFloat]]:
    """Whether `type` has floating-point elements, as `from_list`'s typing asks."""
    return isinstance(type.element_type, AnyFloat)


def _holds_integers(type: TensorType) -> TypeGuard[TensorType[IntegerType]]:
    """Whether `type` has integer (or `i1`) elements, as `from_list`'s typing asks."""
    return isinstance(type.element_type, IntegerType)


@irdl_custom_directive
class ElementsValue(CustomDirective):
    """A `dense<...> : tensor<...>` value, written as hex bytes when it holds inf or NaN
    (xDSL prints those as integers that would parse back as finite numbers)."""

    value: AttributeVariable

    def parse(self, parser: Parser, state: ParsingState) -> None:
        self.value.set(state, parser.parse_attribute())

    def print(self, printer: Printer, state: PrintingState, op: IRDLOperation) -> None:
        assert isinstance(op, ConstantOp)  # The directive appears in no other op's format.
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
        if _holds_floats(type):
            return cls(DenseIntOrFPElementsAttr.from_list(type, values))
        if _holds_integers(type):
            return cls(DenseIntOrFPElementsAttr.from_list(type, [int(v) for v in values]))
        raise VerifyException(f"{cls.name}: no literal of element type {type.element_type}")

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
        if isinstance(element, IntegerType):
            values = element.unpack(data, count)
            return tuple(v & 1 for v in values) if element == i1 else values
        assert isinstance(element, AnyFloat)  # The verifier allows only AnyElement.
        return element.unpack(data, count)


@irdl_op_definition
class IotaOp(TensorOp):
    """Indices `0, 1, ..., n-1` along `axis` of `reference`, where n is its size there, in a
    tensor of the reference's rank with size 1 in every other dimension, so that it
    broadcasts against the reference. Only the reference's shape is read, so that `n` may be
    dynamic:

    `tensorops.iota %s axis 3 : tensor<?x4x?x?xf32> -> tensor<1x1x1x?xi64>`
    """

    name = "tensorops.iota"
    reference = operand_def(TensorType.constr(AnyElement))
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType.constr(IndexElement))
    traits = traits_def(Pure())
    assembly_format = "$reference `axis` $axis attr-dict `:` type($reference) `->` type($result)"

    def __init__(self, reference: SSAValue, axis: int, element: Attribute = i64):
        """Indices along `axis` (negative counts from the end) of `element` type."""
        rank = len(tensor_type_of(reference).get_shape())
        (norm,) = checked(self.name, normalize_axes, [axis], rank)
        reference_type = tensor_type_of(reference)
        result = checked(self.name, self.infer_result_type, reference_type, norm, element)
        super().__init__(
            operands=[reference], properties={"axis": IntegerAttr(norm, i64)},
            result_types=[result],
        )

    @classmethod
    def infer_result_type(
        cls, reference: TensorType, axis: int, element: Attribute
    ) -> TensorType:
        """Size 1 everywhere but along `axis`, where the reference's size is kept."""
        shape = sizes_of(reference)
        normalize_axes([axis], len(shape))
        if axis < 0:
            raise ShapeError(f"axis {axis} must not be negative")
        return tensor_of(element, [d if i == axis else 1 for i, d in enumerate(shape)])

    def inferred_type(self) -> TensorType:
        element = tensor_type_of(self.result).element_type
        return self.infer_result_type(tensor_type_of(self.reference), self.axis.value.data, element)


DISTRIBUTIONS = ("normal", "uniform")
"""What `tensorops.random` samples: the standard normal, or uniform on `[0, 1)`."""


@irdl_op_definition
class RandomOp(TensorOp):
    """A tensor of f32 samples of `distribution` (`"normal"` or `"uniform"`), from the
    global generator, or from a fresh one seeded with `seed`, as `randn` and `rand` are.
    It draws numbers, so it is not pure: two `random` ops are never merged, and one that
    nothing reads is kept, so that the draws after it do not change.

    `tensorops.random "normal" seed 3 : tensor<4x2xf32>`
    """

    name = "tensorops.random"
    distribution = prop_def(StringAttr)
    seed = opt_prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    assembly_format = "$distribution (`seed` $seed^)? attr-dict `:` type($result)"

    def __init__(self, result: TensorType, distribution: str, seed: int | None = None):
        properties: dict[str, Attribute] = {"distribution": StringAttr(distribution)}
        if seed is not None:
            properties["seed"] = IntegerAttr(seed, i64)
        super().__init__(properties=properties, result_types=[result])

    def inferred_type(self) -> TensorType:
        result = tensor_type_of(self.result)
        if self.distribution.data not in DISTRIBUTIONS:
            raise ShapeError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, "
                             f"got '{self.distribution.data}'")
        if result.element_type != f32 or any(not isinstance(d, int) for d in sizes_of(result)):
            raise ShapeError(f"samples must be an f32 tensor of static shape, got {result}")
        return result
