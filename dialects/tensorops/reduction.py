"""Reduction tensorops: sums, means, extrema and argmax over axes, and 2-d pooling."""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, TensorType, UnitAttr, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    VarConstraint, irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def,
    traits_def,
)
from xdsl.traits import Pure

from mlang.dialects.tensorops.base import (
    FloatElement, NumberElement, TensorOp, checked, int_array, normalize_axes, sizes_of,
    tensor_of, tensor_type_of,
)
from mlang.support.shapes import Dim, ShapeError, fmt_shape, window_out


def _reduced(shape: Sequence[Dim], axes: Sequence[int], keepdim: bool) -> list[Dim]:
    """The shape left after reducing `axes` (kept as size 1 with `keepdim`)."""
    if keepdim:
        return [1 if i in axes else d for i, d in enumerate(shape)]
    return [d for i, d in enumerate(shape) if i not in axes]


class ReductionOp(TensorOp, ABC):
    """Reduces `axes` (sorted, non-negative, at least one), keeping them as size 1 with
    `keepdim`: `tensorops.reduce_sum %x axes [1] keepdim : ...`."""

    T: ClassVar = VarConstraint("T", NumberElement)
    input = operand_def(TensorType.constr(T))
    axes = prop_def(DenseArrayBase.constr(i64))
    keepdim = opt_prop_def(UnitAttr)
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `axes` $axes (`keepdim` $keepdim^)? attr-dict `:` "
        "type($input) `->` type($result)"
    )

    def __init__(
        self, input: SSAValue, axes: int | Sequence[int] | None = None, keepdim: bool = False
    ):
        """Reduces the given axes (negative ones count from the end; None: all of them)."""
        rank = len(tensor_type_of(input).get_shape())
        axes = range(rank) if axes is None else [axes] if isinstance(axes, int) else axes
        norm = sorted(set(checked(self.name, normalize_axes, axes, rank)))
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), norm, keepdim)
        properties: dict[str, Attribute] = {"axes": int_array(norm)}
        if keepdim:
            properties["keepdim"] = UnitAttr()
        super().__init__(operands=[input], properties=properties, result_types=[result])

    @classmethod
    def infer_result_type(
        cls, input: TensorType, axes: Sequence[int], keepdim: bool
    ) -> TensorType:
        """The input's shape without `axes`, or with them as size 1."""
        shape = sizes_of(input)
        if not axes or list(axes) != sorted(set(axes)) or not 0 <= axes[0] <= axes[-1] < len(shape):
            raise ShapeError(
                f"axes {list(axes)} must be sorted, unique, not empty and in 0..{len(shape) - 1}"
            )
        return tensor_of(input.element_type, _reduced(shape, axes, keepdim))

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(
            tensor_type_of(self.input), self.axes.get_values(), self.keepdim is not None
        )


@irdl_op_definition
class ReduceSumOp(ReductionOp):
    """Sum over axes, in the input's element type."""

    name = "tensorops.reduce_sum"


@irdl_op_definition
class ReduceMaxOp(ReductionOp):
    """Largest element over axes."""

    name = "tensorops.reduce_max"


@irdl_op_definition
class ReduceMinOp(ReductionOp):
    """Smallest element over axes."""

    name = "tensorops.reduce_min"


@irdl_op_definition
class ReduceMeanOp(ReductionOp):
    """Arithmetic mean over axes."""

    name = "tensorops.reduce_mean"
    T: ClassVar = VarConstraint("T", FloatElement)
    input = operand_def(TensorType.constr(T))
    result = result_def(TensorType.constr(T))


@irdl_op_definition
class ArgmaxOp(TensorOp):
    """The `i64` index of the largest element along `axis` (the first one on ties)."""

    name = "tensorops.argmax"
    input = operand_def(TensorType.constr(NumberElement))
    axis = prop_def(IntegerAttr[I64])
    keepdim = opt_prop_def(UnitAttr)
    result = result_def(TensorType.constr(i64))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `axis` $axis (`keepdim` $keepdim^)? attr-dict `:` "
        "type($input) `->` type($result)"
    )

    def __init__(self, input: SSAValue, axis: int, keepdim: bool = False):
        rank = len(tensor_type_of(input).get_shape())
        (norm,) = checked(self.name, normalize_axes, [axis], rank)
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), norm, keepdim)
        properties: dict[str, Attribute] = {"axis": IntegerAttr(norm, i64)}
        if keepdim:
            properties["keepdim"] = UnitAttr()
        super().__init__(operands=[input], properties=properties, result_types=[result])

    @classmethod
    def infer_result_type(cls, input: TensorType, axis: int, keepdim: bool) -> TensorType:
        """The input's shape without `axis` (or with it as size 1), of `i64` indices."""
        shape = sizes_of(input)
        if not 0 <= axis < len(shape):
            raise ShapeError(f"axis {axis} is out of range for rank {len(shape)}")
        return tensor_of(i64, _reduced(shape, [axis], keepdim))

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(
            tensor_type_of(self.input), self.axis.value.data, self.keepdim is not None
        )


def window_shape(
    input: Sequence[Dim], window: Sequence[Dim], stride: Sequence[int], padding: Sequence[int]
) -> list[Dim]:
    """Output sizes of a 2-d window slid over the last two dimensions of `input`."""
    if len(stride) != 2 or len(padding) != 2 or min(stride) < 1 or min(padding) < 0:
        raise ShapeError("stride and padding must be two sizes, strides >= 1, padding >= 0")
    return [
        window_out(size, k, s, p) if isinstance(k, int) else None
        for size, k, s, p in zip(input[-2:], window, stride, padding)
    ]


class Pool2dOp(TensorOp, ABC):
    """A window reduction over the last two dimensions of a CHW or NCHW tensor."""

    T: ClassVar = VarConstraint("T", FloatElement)
    input = operand_def(TensorType.constr(T))
    kernel = prop_def(DenseArrayBase.constr(i64))
    stride = prop_def(DenseArrayBase.constr(i64))
    padding = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `kernel` $kernel `stride` $stride `padding` $padding attr-dict `:` "
        "type($input) `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue,
        kernel: Sequence[int],
        stride: Sequence[int] | None = None,
        padding: Sequence[int] = (0, 0),
    ):
        """Pools with a `kernel` window; the stride defaults to the kernel."""
        stride = kernel if stride is None else stride
        params = (kernel, stride, padding)
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), *params)
        super().__init__(
            operands=[input],
            properties={
                name: int_array(value)
                for name, value in zip(("kernel", "stride", "padding"), params)
            },
            result_types=[result],
        )

    @classmethod
    def infer_result_type(
        cls,
        input: TensorType,
        kernel: Sequence[int],
        stride: Sequence[int],
        padding: Sequence[int],
    ) -> TensorType:
        """Leading dimensions unchanged, the last two slid over by the window."""
        shape = sizes_of(input)
        if len(shape) not in (3, 4):
            raise ShapeError(f"expected a CHW or NCHW input, got {fmt_shape(shape)}")
        if len(kernel) != 2 or min(kernel) < 1:
            raise ShapeError("the kernel must be two sizes >= 1")
        if any(2 * p > k for p, k in zip(padding, kernel)):
            raise ShapeError("padding must be at most half the kernel")
        out = window_shape(shape, kernel, stride, padding)
        return tensor_of(input.element_type, [*shape[:-2], *out])

    def inferred_type(self) -> TensorType:
        params = (p.get_values() for p in (self.kernel, self.stride, self.padding))
        return self.infer_result_type(tensor_type_of(self.input), *params)


@irdl_op_definition
class MaxPool2dOp(Pool2dOp):
    """Largest element of each window (padding counts as -inf)."""

    name = "tensorops.max_pool2d"


@irdl_op_definition
class AvgPool2dOp(Pool2dOp):
    """Mean of each window, padding counted as zeros (PyTorch's `count_include_pad`)."""

    name = "tensorops.avg_pool2d"
