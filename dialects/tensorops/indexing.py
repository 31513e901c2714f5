"""Indexing tensorops that no composition of the others expresses: `cumsum`, `topk`,
`take_along` (`torch.gather`) and `pad`. No Triton kernel absorbs them: each runs as a
`kernel.extern`, which calls PyTorch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64, DenseArrayBase, Float64Type, FloatAttr, IntegerAttr, TensorType, f64, i64,
)
from xdsl.ir import SSAValue
from xdsl.irdl import (
    VarConstraint, irdl_op_definition, operand_def, prop_def, result_def, traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.tensorops.base import (
    AnyElement, IndexElement, NumberElement, TensorOp, checked, int_array, normalize_axes,
    sizes_of, tensor_of, tensor_type_of,
)
from mlang.support import index_shapes as rules


def _axis(input: SSAValue, axis: int, name: str) -> int:
    """`axis` of `input` made non-negative, checked."""
    (norm,) = checked(name, normalize_axes, [axis], len(tensor_type_of(input).get_shape()))
    return norm


@irdl_op_definition
class CumsumOp(TensorOp):
    """Running sums along `axis`, in the input's element type:
    `tensorops.cumsum %x axis 1 : tensor<?x8xf32>`."""

    name = "tensorops.cumsum"
    T: ClassVar = VarConstraint("T", TensorType.constr(NumberElement))
    input = operand_def(T)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$input `axis` $axis attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, axis: int):
        super().__init__(
            operands=[input], properties={"axis": IntegerAttr(_axis(input, axis, self.name), i64)},
            result_types=[tensor_type_of(input)],
        )

    @classmethod
    def infer_result_type(cls, input: TensorType, axis: int) -> TensorType:
        """The input type, once `axis` is checked."""
        normalize_axes([axis], len(input.get_shape()))
        return input

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.input), self.axis.value.data)


@irdl_op_definition
class TopkOp(TensorOp):
    """The `k` largest elements along `axis`, largest first, and their i64 indices:
    `tensorops.topk %x k 2 axis 1 : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi64>`."""

    name = "tensorops.topk"
    T: ClassVar = VarConstraint("T", NumberElement)
    input = operand_def(TensorType.constr(T))
    k = prop_def(IntegerAttr[I64])
    axis = prop_def(IntegerAttr[I64])
    values = result_def(TensorType.constr(T))
    indices = result_def(TensorType.constr(IndexElement))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `k` $k `axis` $axis attr-dict `:` type($input) `->` type($values) `,` "
        "type($indices)"
    )

    def __init__(self, input: SSAValue, k: int, axis: int):
        norm = _axis(input, axis, self.name)
        values = checked(self.name, self.infer_result_type, tensor_type_of(input), k, norm)
        super().__init__(
            operands=[input],
            properties={"k": IntegerAttr(k, i64), "axis": IntegerAttr(norm, i64)},
            result_types=[values, TensorType(i64, values.get_shape())],
        )

    @classmethod
    def infer_result_type(cls, input: TensorType, k: int, axis: int) -> TensorType:
        """The type of the values: the input's, with `k` along `axis`."""
        return tensor_of(input.element_type, rules.topk_shape(sizes_of(input), k, axis))

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(
            tensor_type_of(self.input), self.k.value.data, self.axis.value.data)

    def verify_(self) -> None:
        super().verify_()
        values, indices = tensor_type_of(self.values), tensor_type_of(self.indices)
        if indices.get_shape() != values.get_shape() or indices.element_type != i64:
            raise VerifyException(f"{self.name}: the indices must be i64 of the values' shape")


@irdl_op_definition
class TakeAlongOp(TensorOp):
    """`torch.gather(input, axis, ids)`: `result[..., i, ...] = input[..., ids[..., i, ...],
    ...]` along `axis`, of the ids' shape:
    `tensorops.take_along %x[%ids] axis 1 : tensor<4x8xf32>, tensor<4x2xi64> -> ...`."""

    name = "tensorops.take_along"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    ids = operand_def(TensorType.constr(IndexElement))
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `[` $ids `]` `axis` $axis attr-dict `:` type($input) `,` type($ids) `->` "
        "type($result)"
    )

    def __init__(self, input: SSAValue, ids: SSAValue, axis: int):
        norm = _axis(input, axis, self.name)
        types = (tensor_type_of(input), tensor_type_of(ids))
        result = checked(self.name, self.infer_result_type, *types, norm)
        super().__init__(
            operands=[input, ids], properties={"axis": IntegerAttr(norm, i64)},
            result_types=[result],
        )

    @classmethod
    def infer_result_type(cls, input: TensorType, ids: TensorType, axis: int) -> TensorType:
        """The ids' shape, of the input's element type."""
        shape = rules.gather_shape(sizes_of(input), axis, sizes_of(ids))
        return tensor_of(input.element_type, shape)

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(
            tensor_type_of(self.input), tensor_type_of(self.ids), self.axis.value.data)


@irdl_op_definition
class PadOp(TensorOp):
    """Pads each dimension with `value`, `low[i]` elements before and `high[i]` after
    (negative: crops): `tensorops.pad %x low [0, 1] high [0, 2] value 0.0 : ... -> ...`."""

    name = "tensorops.pad"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    low = prop_def(DenseArrayBase.constr(i64))
    high = prop_def(DenseArrayBase.constr(i64))
    value = prop_def(FloatAttr[Float64Type])
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `low` $low `high` $high `value` $value attr-dict `:` type($input) `->` "
        "type($result)"
    )

    def __init__(self, input: SSAValue, pairs: Sequence[tuple[int, int]], value: float):
        low, high = [lo for lo, _ in pairs], [hi for _, hi in pairs]
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), low, high)
        super().__init__(
            operands=[input],
            properties={"low": int_array(low), "high": int_array(high),
                        "value": FloatAttr(value, f64)},
            result_types=[result],
        )

    @classmethod
    def infer_result_type(
        cls, input: TensorType, low: Sequence[int], high: Sequence[int]
    ) -> TensorType:
        """The input grown by `low + high` in each dimension."""
        if len(low) != len(high):
            raise VerifyException("low and high must have one width per dimension")
        shape = rules.pad_shape(sizes_of(input), list(zip(low, high)))
        return tensor_of(input.element_type, shape)

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(
            tensor_type_of(self.input), self.low.get_values(), self.high.get_values())


INDEXING_OPS = (CumsumOp, TopkOp, TakeAlongOp, PadOp)
