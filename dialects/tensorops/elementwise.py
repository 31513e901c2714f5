"""Elementwise tensorops: unary and binary functions, comparisons, select, cast, dropout
and int8 quantization. Binary ops broadcast their operands as NumPy does."""

from __future__ import annotations

from abc import ABC
from typing import ClassVar

from xdsl.dialects.builtin import Float64Type, FloatAttr, TensorType, f64, i1, i8
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    EqAttrConstraint, VarConstraint, irdl_op_definition, operand_def, prop_def, result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.tensorops.base import (
    AnyElement, BoolElement, FloatElement, NumberElement, TensorOp,
    TensorOpsCanonicalization, checked, sizes_of, tensor_of, tensor_type_of,
)
from mlang.support.shapes import ShapeError, broadcast_shapes, fmt_shape

# Unary functions: the result has the input's type.


class UnaryOp(TensorOp, ABC):
    """An elementwise function of one tensor."""

    traits = traits_def(Pure(), TensorOpsCanonicalization())
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue):
        super().__init__(operands=[input], result_types=[tensor_type_of(input)])

    @classmethod
    def infer_result_type(cls, input: TensorType) -> TensorType:
        """The input type: elementwise functions keep shape and element type."""
        return input

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.operands[0]))


class FloatUnaryOp(UnaryOp, ABC):
    """A unary function on floating-point tensors."""

    T: ClassVar = VarConstraint("T", TensorType.constr(FloatElement))
    input = operand_def(T)
    result = result_def(T)


class NumberUnaryOp(UnaryOp, ABC):
    """A unary function on float or signed integer tensors."""

    T: ClassVar = VarConstraint("T", TensorType.constr(NumberElement))
    input = operand_def(T)
    result = result_def(T)


@irdl_op_definition
class ExpOp(FloatUnaryOp):
    """`e ** x`."""

    name = "tensorops.exp"


@irdl_op_definition
class LogOp(FloatUnaryOp):
    """Natural logarithm."""

    name = "tensorops.log"


@irdl_op_definition
class SqrtOp(FloatUnaryOp):
    """Square root."""

    name = "tensorops.sqrt"


@irdl_op_definition
class RsqrtOp(FloatUnaryOp):
    """Reciprocal square root, `1 / sqrt(x)`."""

    name = "tensorops.rsqrt"


@irdl_op_definition
class SinOp(FloatUnaryOp):
    """Sine."""

    name = "tensorops.sin"


@irdl_op_definition
class CosOp(FloatUnaryOp):
    """Cosine."""

    name = "tensorops.cos"


@irdl_op_definition
class TanhOp(FloatUnaryOp):
    """Hyperbolic tangent."""

    name = "tensorops.tanh"


@irdl_op_definition
class ErfOp(FloatUnaryOp):
    """The Gauss error function."""

    name = "tensorops.erf"


@irdl_op_definition
class SigmoidOp(FloatUnaryOp):
    """The logistic function, `1 / (1 + exp(-x))`."""

    name = "tensorops.sigmoid"


@irdl_op_definition
class NegOp(NumberUnaryOp):
    """Negation."""

    name = "tensorops.neg"


@irdl_op_definition
class AbsOp(NumberUnaryOp):
    """Absolute value."""

    name = "tensorops.abs"


@irdl_op_definition
class NotOp(UnaryOp):
    """Logical negation of a boolean tensor."""

    name = "tensorops.not"
    T: ClassVar = VarConstraint("T", TensorType.constr(BoolElement))
    input = operand_def(T)
    result = result_def(T)


# Binary functions, with NumPy broadcasting; both operands have one element type.


class BinaryOp(TensorOp, ABC):
    """An elementwise function of two tensors, broadcast against each other."""

    traits = traits_def(Pure(), TensorOpsCanonicalization())
    assembly_format = (
        "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        lhs_type, rhs_type = tensor_type_of(lhs), tensor_type_of(rhs)
        result = checked(self.name, self.infer_result_type, lhs_type, rhs_type)
        super().__init__(operands=[lhs, rhs], result_types=[result])

    @classmethod
    def result_element(cls, operand: Attribute) -> Attribute:
        """The result's element type, given the operands'."""
        return operand

    @classmethod
    def infer_result_type(cls, lhs: TensorType, rhs: TensorType) -> TensorType:
        """The broadcast shape of both operands."""
        shape = broadcast_shapes(sizes_of(lhs), sizes_of(rhs))
        return tensor_of(cls.result_element(lhs.element_type), shape)

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(*(tensor_type_of(v) for v in self.operands))


class NumberBinaryOp(BinaryOp, ABC):
    """Arithmetic on float or signed integer tensors."""

    E: ClassVar = VarConstraint("E", NumberElement)
    lhs = operand_def(TensorType.constr(E))
    rhs = operand_def(TensorType.constr(E))
    result = result_def(TensorType.constr(E))


class FloatBinaryOp(BinaryOp, ABC):
    """Arithmetic on floating-point tensors."""

    E: ClassVar = VarConstraint("E", FloatElement)
    lhs = operand_def(TensorType.constr(E))
    rhs = operand_def(TensorType.constr(E))
    result = result_def(TensorType.constr(E))


class BoolBinaryOp(BinaryOp, ABC):
    """Logic on boolean tensors."""

    lhs = operand_def(TensorType.constr(BoolElement))
    rhs = operand_def(TensorType.constr(BoolElement))
    result = result_def(TensorType.constr(BoolElement))


class CompareOp(BinaryOp, ABC):
    """An elementwise comparison: a boolean tensor of the broadcast shape."""

    E: ClassVar = VarConstraint("E", AnyElement)
    lhs = operand_def(TensorType.constr(E))
    rhs = operand_def(TensorType.constr(E))
    result = result_def(TensorType.constr(BoolElement))

    @classmethod
    def result_element(cls, operand: Attribute) -> Attribute:
        return i1


@irdl_op_definition
class AddOp(NumberBinaryOp):
    """`lhs + rhs`."""

    name = "tensorops.add"


@irdl_op_definition
class SubOp(NumberBinaryOp):
    """`lhs - rhs`."""

    name = "tensorops.sub"


@irdl_op_definition
class MulOp(NumberBinaryOp):
    """`lhs * rhs`."""

    name = "tensorops.mul"


@irdl_op_definition
class MaximumOp(NumberBinaryOp):
    """The larger of both operands (NaN if either is NaN)."""

    name = "tensorops.maximum"


@irdl_op_definition
class MinimumOp(NumberBinaryOp):
    """The smaller of both operands (NaN if either is NaN)."""

    name = "tensorops.minimum"


@irdl_op_definition
class DivOp(FloatBinaryOp):
    """`lhs / rhs`."""

    name = "tensorops.div"


@irdl_op_definition
class PowOp(FloatBinaryOp):
    """`lhs ** rhs`."""

    name = "tensorops.pow"


@irdl_op_definition
class AndOp(BoolBinaryOp):
    """Logical and."""

    name = "tensorops.and"


@irdl_op_definition
class OrOp(BoolBinaryOp):
    """Logical or."""

    name = "tensorops.or"


@irdl_op_definition
class EqOp(CompareOp):
    """`lhs == rhs`."""

    name = "tensorops.eq"


@irdl_op_definition
class NeOp(CompareOp):
    """`lhs != rhs`."""

    name = "tensorops.ne"


@irdl_op_definition
class LtOp(CompareOp):
    """`lhs < rhs`."""

    name = "tensorops.lt"


@irdl_op_definition
class LeOp(CompareOp):
    """`lhs <= rhs`."""

    name = "tensorops.le"


@irdl_op_definition
class GtOp(CompareOp):
    """`lhs > rhs`."""

    name = "tensorops.gt"


@irdl_op_definition
class GeOp(CompareOp):
    """`lhs >= rhs`."""

    name = "tensorops.ge"


# Ops with their own operand lists.


@irdl_op_definition
class SelectOp(TensorOp):
    """`where(cond, lhs, rhs)`, all three broadcast against each other."""

    name = "tensorops.select"
    E: ClassVar = VarConstraint("E", AnyElement)
    cond = operand_def(TensorType.constr(BoolElement))
    lhs = operand_def(TensorType.constr(E))
    rhs = operand_def(TensorType.constr(E))
    result = result_def(TensorType.constr(E))
    traits = traits_def(Pure())
    assembly_format = (
        "$cond `,` $lhs `,` $rhs attr-dict `:` "
        "type($cond) `,` type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, cond: SSAValue, lhs: SSAValue, rhs: SSAValue):
        types = (tensor_type_of(cond), tensor_type_of(lhs), tensor_type_of(rhs))
        result = checked(self.name, self.infer_result_type, *types)
        super().__init__(operands=[cond, lhs, rhs], result_types=[result])

    @classmethod
    def infer_result_type(
        cls, cond: TensorType, lhs: TensorType, rhs: TensorType
    ) -> TensorType:
        """The broadcast shape of all three operands, with the element type of `lhs`."""
        shape = broadcast_shapes(broadcast_shapes(sizes_of(cond), sizes_of(lhs)), sizes_of(rhs))
        return tensor_of(lhs.element_type, shape)

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(
            tensor_type_of(self.cond), tensor_type_of(self.lhs), tensor_type_of(self.rhs)
        )


@irdl_op_definition
class CastOp(TensorOp):
    """Converts elements to another type (floats to integers truncate, as PyTorch does)."""

    name = "tensorops.cast"
    input = operand_def(TensorType.constr(AnyElement))
    result = result_def(TensorType.constr(AnyElement))
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, element: Attribute):
        result = self.infer_result_type(tensor_type_of(input), element)
        super().__init__(operands=[input], result_types=[result])

    @classmethod
    def infer_result_type(cls, input: TensorType, element: Attribute) -> TensorType:
        """The input's shape with the target element type."""
        return TensorType(element, input.get_shape())

    def inferred_type(self) -> TensorType:
        result = tensor_type_of(self.result)
        return self.infer_result_type(tensor_type_of(self.input), result.element_type)


@irdl_op_definition
class DropoutOp(TensorOp):
    """While training, zeroes each element with probability `p` and scales the others by
    `1 / (1 - p)`; otherwise the identity. Whether it trains is a run-time flag of the
    generated function, so the op is not pure: two dropouts of one value differ.

    `tensorops.dropout %x p 1.000000e-01 : tensor<?x64xf32>`
    """

    name = "tensorops.dropout"
    T: ClassVar = VarConstraint("T", TensorType.constr(FloatElement))
    input = operand_def(T)
    p = prop_def(FloatAttr[Float64Type])
    result = result_def(T)
    assembly_format = "$input `p` $p attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, p: float):
        super().__init__(
            operands=[input], properties={"p": FloatAttr(p, f64)},
            result_types=[tensor_type_of(input)],
        )

    @classmethod
    def infer_result_type(cls, input: TensorType) -> TensorType:
        """The input type."""
        return input

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.input))

    def verify_(self) -> None:
        if not 0.0 <= self.p.value.data < 1.0:
            raise VerifyException(f"{self.name}: p must be in [0, 1), got {self.p.value.data}")
        super().verify_()


class ScaledOp(TensorOp, ABC):
    """An elementwise op with a per-tensor, per-channel or per-row scale.

    `scale` broadcasts to the shape of the input and is a rank-0 tensor, or has size 1 in
    all dimensions but one (the channel axis): `tensor<64x1xf32>` for a `64x32` weight
    quantized per output channel; or it has the input's rank with a last size of 1, one
    scale per row: `tensor<?x?x1xf32>` for activations `tensor<?x?x768xf32>` quantized
    per row at run time.
    """

    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $scale attr-dict `:` type($input) `,` type($scale) `->` type($result)"
    )

    def __init__(self, input: SSAValue, scale: SSAValue):
        types = (tensor_type_of(input), tensor_type_of(scale))
        result = checked(self.name, self.infer_result_type, *types)
        super().__init__(operands=[input, scale], result_types=[result])

    @classmethod
    def result_element(cls, scale: TensorType) -> Attribute:
        """The result's element type."""
        return scale.element_type

    @classmethod
    def infer_result_type(cls, input: TensorType, scale: TensorType) -> TensorType:
        """The input's shape, after checking that the scale fits it."""
        shape = sizes_of(input)
        if not is_row_scale(input, scale):
            channel_axis(input, scale)
        if broadcast_shapes(shape, sizes_of(scale)) != shape:
            raise ShapeError(
                f"scale of shape {fmt_shape(sizes_of(scale))} does not broadcast to "
                f"{fmt_shape(shape)}"
            )
        return TensorType(cls.result_element(scale), input.get_shape())

    def inferred_type(self) -> TensorType:
        lhs, rhs = self.operands
        return self.infer_result_type(tensor_type_of(lhs), tensor_type_of(rhs))

    def channel_axis(self) -> int | None:
        """The input axis along which the scale varies; None for a per-tensor scale."""
        return channel_axis(tensor_type_of(self.operands[0]), tensor_type_of(self.operands[1]))


QMAX = 127
"""The largest int8 magnitude that quantization produces: values lie in [-QMAX, QMAX]."""


@irdl_op_definition
class QuantizeOp(ScaledOp):
    """Symmetric int8 quantization, `clamp(round_half_even(x / scale), -127, 127)`."""

    name = "tensorops.quantize"
    E: ClassVar = VarConstraint("E", FloatElement)
    input = operand_def(TensorType.constr(E))
    scale = operand_def(TensorType.constr(E))
    result = result_def(TensorType.constr(EqAttrConstraint(i8)))

    @classmethod
    def result_element(cls, scale: TensorType) -> Attribute:
        return i8


@irdl_op_definition
class DequantizeOp(ScaledOp):
    """`q * scale` in the scale's element type: the inverse of `tensorops.quantize`."""

    name = "tensorops.dequantize"
    E: ClassVar = VarConstraint("E", FloatElement)
    input = operand_def(TensorType.constr(EqAttrConstraint(i8)))
    scale = operand_def(TensorType.constr(E))
    result = result_def(TensorType.constr(E))


def is_row_scale(input: TensorType, scale: TensorType) -> bool:
    """Whether `scale` holds one scale per row of `input`: the same rank (at least 2),
    and a last size of 1."""
    sizes = scale.get_shape()
    return len(sizes) == len(input.get_shape()) >= 2 and sizes[-1] == 1


def channel_axis(input: TensorType, scale: TensorType) -> int | None:
    """The axis of `input` along which a quantization scale varies (its one size that is
    not 1, aligned from the right), or None for a per-tensor scale."""
    offset = len(input.get_shape()) - len(scale.get_shape())
    axes = [offset + i for i, d in enumerate(scale.get_shape()) if d != 1]
    if len(axes) > 1:
        raise ShapeError(f"scale of shape {fmt_shape(sizes_of(scale))} varies along several axes")
    return axes[0] if axes else None
