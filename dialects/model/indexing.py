"""Indexing and reshaping tensor functions of M 0.2: `tril triu cumsum topk gather
unsqueeze squeeze expand repeat_interleave pad`, one op each (`chunk`, `masked_fill`,
`normalize` and `dropout` are written with other ops)."""

from __future__ import annotations

from xdsl.dialects.builtin import I64, DenseArrayBase, FloatAttr, IntegerAttr, i64
from xdsl.irdl import (
    IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, prop_def, result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.base import ShapedResult, expect_shape
from mlang.dialects.model.functions import ANY_TENSOR
from mlang.dialects.model.types import element_of, shape_of
from mlang.support import index_shapes as rules
from mlang.support import shapes

ONE_INPUT = "$input attr-dict `:` type($input) `->` type($result)"


class AxisOpBase(ShapedResult):
    """A function of one tensor with an integer `axis`."""

    input = operand_def(ANY_TENSOR)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = ONE_INPUT


class TriangleBase(ShapedResult):
    """Keeps one triangle of the last two dimensions, zeroing the rest; `k` shifts the
    diagonal up (k > 0) or down (k < 0), as `torch.tril`/`torch.triu`."""

    input = operand_def(ANY_TENSOR)
    k = prop_def(IntegerAttr[I64])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = ONE_INPUT

    def result_shape(self) -> shapes.Shape:
        return rules.matrix_shape(shape_of(self.input.type), self.name.removeprefix("model."))


@irdl_op_definition
class TrilOp(TriangleBase):
    """The lower triangle: elements with column <= row + k."""

    name = "model.tril"


@irdl_op_definition
class TriuOp(TriangleBase):
    """The upper triangle: elements with column >= row + k."""

    name = "model.triu"


@irdl_op_definition
class CumsumOp(AxisOpBase):
    """Running sums along `axis` (integers sum in i64, as in PyTorch)."""

    name = "model.cumsum"

    def result_shape(self) -> shapes.Shape:
        return rules.along_axis_shape(shape_of(self.input.type), self.axis.value.data)


@irdl_op_definition
class TopkOp(IRDLOperation):
    """The `k` largest elements along `axis`, largest first, and their i64 indices."""

    name = "model.topk"
    input = operand_def(ANY_TENSOR)
    k = prop_def(IntegerAttr[I64])
    axis = prop_def(IntegerAttr[I64])
    values = result_def(ANY_TENSOR)
    indices = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($values) `,` type($indices)"

    def verify_(self) -> None:
        def rule() -> shapes.Shape:
            return rules.topk_shape(
                shape_of(self.input.type), self.k.value.data, self.axis.value.data)

        expect_shape(self, rule, self.values.type)
        expect_shape(self, rule, self.indices.type)
        if element_of(self.indices.type) != i64:
            raise VerifyException("model.topk: the indices must have element type i64")
        if element_of(self.values.type) != element_of(self.input.type):
            raise VerifyException("model.topk: the values must have the input's element type")


@irdl_op_definition
class GatherOp(ShapedResult):
    """`torch.gather`: `result[..., i, ...] = input[..., index[..., i, ...], ...]` along
    `axis`, the result of the index's shape."""

    name = "model.gather"
    input = operand_def(ANY_TENSOR)
    index = operand_def(ANY_TENSOR)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input `[` $index `]` attr-dict `:` functional-type(operands, results)"

    def result_shape(self) -> shapes.Shape:
        return rules.gather_shape(
            shape_of(self.input.type), self.axis.value.data, shape_of(self.index.type))

    def verify_(self) -> None:
        if element_of(self.index.type) != i64:
            raise VerifyException("model.gather: the index must have element type i64")
        super().verify_()


@irdl_op_definition
class UnsqueezeOp(AxisOpBase):
    """A new dimension of size 1 at `axis`."""

    name = "model.unsqueeze"

    def result_shape(self) -> shapes.Shape:
        return rules.unsqueeze_shape(shape_of(self.input.type), self.axis.value.data)


@irdl_op_definition
class SqueezeOp(AxisOpBase):
    """Drops dimension `axis`, of size 1."""

    name = "model.squeeze"

    def result_shape(self) -> shapes.Shape:
        return rules.squeeze_shape(shape_of(self.input.type), self.axis.value.data)


@irdl_op_definition
class ExpandOp(ShapedResult):
    """Broadcasts to `shape`, in which -1 keeps the aligned input size (`Tensor.expand`)."""

    name = "model.expand"
    input = operand_def(ANY_TENSOR)
    shape = prop_def(DenseArrayBase)
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    assembly_format = "$input qualified($shape) attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return rules.expand_shape(shape_of(self.input.type), self.shape.get_values())


@irdl_op_definition
class RepeatInterleaveOp(AxisOpBase):
    """Repeats each element `n` times along `axis` (`torch.repeat_interleave`)."""

    name = "model.repeat_interleave"
    n = prop_def(IntegerAttr[I64])

    def result_shape(self) -> shapes.Shape:
        return rules.repeat_shape(
            shape_of(self.input.type), self.n.value.data, self.axis.value.data)


@irdl_op_definition
class PadOp(ShapedResult):
    """Pads with `value`: `widths` holds `(before, after)` pairs, last dimension first, as
    `torch.nn.functional.pad` (negative widths crop)."""

    name = "model.pad"
    input = operand_def(ANY_TENSOR)
    widths = prop_def(DenseArrayBase)
    value = prop_def(FloatAttr)
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input qualified($widths) attr-dict `:` type($input) `->` type($result)"

    def pairs(self) -> list[tuple[int, int]]:
        """`(before, after)` for each input dimension."""
        x = shape_of(self.input.type)
        return rules.pad_widths(x, self.widths.get_values())

    def result_shape(self) -> shapes.Shape:
        return rules.pad_shape(shape_of(self.input.type), self.pairs())


INDEXING_OPS: list[type[IRDLOperation]] = [
    TrilOp, TriuOp, CumsumOp, TopkOp, GatherOp, UnsqueezeOp, SqueezeOp, ExpandOp,
    RepeatInterleaveOp, PadOp,
]
