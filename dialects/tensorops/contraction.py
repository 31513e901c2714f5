"""Contraction tensorops: batched matrix product and 2-d convolution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, TensorType, i8, i32, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    VarConstraint, irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def, traits_def,
)
from xdsl.traits import Pure

from mlang.dialects.tensorops.base import (
    FloatElement, NumberElement, TensorOp, checked, int_array, sizes_of, tensor_of, tensor_type_of,
)
from mlang.dialects.tensorops.reduction import window_shape
from mlang.support.shapes import ShapeError, dims_conflict, fmt_shape, matmul_shape


@irdl_op_definition
class MatmulOp(TensorOp):
    """Matrix product with `torch.matmul` semantics: 1-d operands are vectors, and
    batch dimensions broadcast. The result has the operands' element type, except that
    int8 operands give an int32 result: their products accumulate exactly in 32 bits
    (`tensorops.matmul %a, %b : tensor<?x64xi8>, tensor<64x10xi8> -> tensor<?x10xi32>`)."""

    name = "tensorops.matmul"
    T: ClassVar = VarConstraint("T", NumberElement)
    lhs = operand_def(TensorType.constr(T))
    rhs = operand_def(TensorType.constr(T))
    result = result_def(TensorType.constr(NumberElement))
    traits = traits_def(Pure())
    assembly_format = (
        "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        types = (tensor_type_of(lhs), tensor_type_of(rhs))
        result = checked(self.name, self.infer_result_type, *types)
        super().__init__(operands=[lhs, rhs], result_types=[result])

    @classmethod
    def infer_result_type(cls, lhs: TensorType, rhs: TensorType) -> TensorType:
        """Broadcast batch dimensions, then the rows of `lhs` and the columns of `rhs`;
        int32 elements for int8 operands."""
        element = i32 if lhs.element_type == i8 else lhs.element_type
        return tensor_of(element, matmul_shape(sizes_of(lhs), sizes_of(rhs)))

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.lhs), tensor_type_of(self.rhs))


@irdl_op_definition
class Conv2dOp(TensorOp):
    """Cross-correlation of a CHW or NCHW input with an OIHW weight (no bias); `dilation`
    spaces the kernel's taps (default 1, 1) and `groups` splits the channels into that many
    independent convolutions (default 1), as `torch.nn.functional.conv2d`."""

    name = "tensorops.conv2d"
    T: ClassVar = VarConstraint("T", FloatElement)
    input = operand_def(TensorType.constr(T))
    weight = operand_def(TensorType.constr(T))
    stride = prop_def(DenseArrayBase.constr(i64))
    padding = prop_def(DenseArrayBase.constr(i64))
    dilation = opt_prop_def(DenseArrayBase.constr(i64))
    groups = opt_prop_def(IntegerAttr[I64])
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight `stride` $stride `padding` $padding (`dilation` $dilation^)? "
        "(`groups` $groups^)? attr-dict `:` type($input) `,` type($weight) `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue,
        weight: SSAValue,
        stride: Sequence[int] = (1, 1),
        padding: Sequence[int] = (0, 0),
        dilation: Sequence[int] = (1, 1),
        groups: int = 1,
    ):
        types = (tensor_type_of(input), tensor_type_of(weight))
        result = checked(self.name, self.infer_result_type, *types, stride, padding, dilation,
                         groups)
        props: dict[str, Attribute] = {"stride": int_array(stride), "padding": int_array(padding)}
        if tuple(dilation) != (1, 1):
            props["dilation"] = int_array(dilation)
        if groups != 1:
            props["groups"] = IntegerAttr(groups, i64)
        super().__init__(operands=[input, weight], properties=props, result_types=[result])

    @property
    def dilation_values(self) -> tuple[int, ...]:
        """The dilation of each spatial dimension (1, 1 when absent)."""
        return (1, 1) if self.dilation is None else tuple(self.dilation.get_values())

    @property
    def group_count(self) -> int:
        """The number of channel groups (1 when absent)."""
        return 1 if self.groups is None else self.groups.value.data

    @classmethod
    def infer_result_type(
        cls,
        input: TensorType,
        weight: TensorType,
        stride: Sequence[int],
        padding: Sequence[int],
        dilation: Sequence[int] = (1, 1),
        groups: int = 1,
    ) -> TensorType:
        """Batch kept, channels from the weight, spatial sizes slid over by the kernel."""
        x, w = sizes_of(input), sizes_of(weight)
        if len(x) not in (3, 4) or len(w) != 4:
            raise ShapeError(
                f"expected a CHW or NCHW input and an OIHW weight, got {fmt_shape(x)} "
                f"and {fmt_shape(w)}"
            )
        if len(dilation) != 2 or min(dilation) < 1 or groups < 1:
            raise ShapeError("dilation must be two sizes >= 1 and groups at least 1")
        in_ch = w[1] * groups if isinstance(w[1], int) else None
        if dims_conflict(x[-3], in_ch):
            raise ShapeError(f"the weight expects {in_ch} input channels, got {x[-3]}")
        if isinstance(w[0], int) and w[0] % groups:
            raise ShapeError(f"{w[0]} output channels do not split into {groups} groups")
        window = [d * (k - 1) + 1 if isinstance(k, int) else None
                  for k, d in zip(w[2:], dilation)]
        spatial = window_shape(x, window, stride, padding)
        return tensor_of(input.element_type, [*x[:-3], w[0], *spatial])

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(
            tensor_type_of(self.input), tensor_type_of(self.weight),
            self.stride.get_values(), self.padding.get_values(), self.dilation_values,
            self.group_count,
        )
