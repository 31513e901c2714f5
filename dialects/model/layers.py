"""Built-in layers (M-LANGUAGE.md section 6). Parameters arrive as operands from
`model.get_param`, so a layer op is a pure function of tensors and its properties.

Each op may carry a discardable `layer` attribute naming the field it came from
(`"fc1"`, `"blocks.0.attn"`), which `summary` and diagnostics use.
"""

from __future__ import annotations

from xdsl.dialects.builtin import I64, FloatAttr, IntegerAttr, TensorType, f64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, opt_operand_def,
    prop_def, result_def, traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.base import ShapedResult, bool_prop
from mlang.dialects.model.types import shape_of
from mlang.support import shapes

FORMAT = "operands attr-dict `:` functional-type(operands, results)"


@irdl_op_definition
class LinearOp(ShapedResult):
    """`x @ weight^T + bias` on the last dimension of `x`."""

    name = "model.linear"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    def result_shape(self) -> shapes.Shape:
        return shapes.linear_shape(shape_of(self.input.type), shape_of(self.weight.type))

    def verify_(self) -> None:
        super().verify_()
        w = shape_of(self.weight.type)
        if self.bias is not None and shape_of(self.bias.type) != w[:1]:
            raise VerifyException(f"model.linear: bias must have shape [{w[0]}]")


@irdl_op_definition
class Conv2dOp(ShapedResult):
    """NCHW convolution with an OIHW weight, square stride and padding."""

    name = "model.conv2d"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    stride = prop_def(IntegerAttr[I64])
    padding = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    def result_shape(self) -> shapes.Shape:
        return shapes.conv2d_shape(shape_of(self.input.type), shape_of(self.weight.type),
                                   self.stride.value.data, self.padding.value.data)

    def verify_(self) -> None:
        if self.stride.value.data < 1 or self.padding.value.data < 0:
            raise VerifyException("model.conv2d: stride must be >= 1 and padding >= 0")
        w = shape_of(self.weight.type)
        if self.bias is not None and shape_of(self.bias.type) != w[:1]:
            raise VerifyException(f"model.conv2d: bias must have shape [{w[0]}]")
        super().verify_()


@irdl_op_definition
class EmbeddingOp(ShapedResult):
    """Rows of `weight` for integer ids: `[*ids] -> [*ids, dim]`."""

    name = "model.embedding"
    ids = operand_def(TensorType)
    weight = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = FORMAT

    def result_shape(self) -> shapes.Shape:
        return shape_of(self.ids.type) + shape_of(self.weight.type)[1:]

    def verify_(self) -> None:
        if len(shape_of(self.weight.type)) != 2:
            raise VerifyException("model.embedding: weight must be 2-d")
        super().verify_()


@irdl_op_definition
class LayerNormOp(ShapedResult):
    """Normalises the last dimension, then scales by `weight` and shifts by `bias`."""

    name = "model.layer_norm"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = operand_def(TensorType)
    eps = prop_def(FloatAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = FORMAT

    def result_shape(self) -> shapes.Shape:
        return _same(self.input.type, shape_of(self.weight.type)[0], "layer_norm")

    def verify_(self) -> None:
        dim = shape_of(self.weight.type)
        if len(dim) != 1 or shape_of(self.bias.type) != dim:
            raise VerifyException("model.layer_norm: weight and bias must be 1-d of equal size")
        super().verify_()


@irdl_op_definition
class RmsNormOp(ShapedResult):
    """Root-mean-square norm of the last dimension, scaled by `weight`."""

    name = "model.rms_norm"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    eps = prop_def(FloatAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = FORMAT

    def result_shape(self) -> shapes.Shape:
        return _same(self.input.type, shape_of(self.weight.type)[0], "rms_norm")

    def verify_(self) -> None:
        if len(shape_of(self.weight.type)) != 1:
            raise VerifyException("model.rms_norm: weight must be 1-d")
        super().verify_()


@irdl_op_definition
class AttentionOp(ShapedResult):
    """Multi-head self-attention on `[N, T, dim]` with q, k, v and out projections.

    Heads split the last dimension contiguously; scores are scaled by
    `1/sqrt(dim/heads)`; with `causal` position i attends to positions <= i.
    """

    name = "model.attention"
    input = operand_def(TensorType)
    q_weight = operand_def(TensorType)
    q_bias = operand_def(TensorType)
    k_weight = operand_def(TensorType)
    k_bias = operand_def(TensorType)
    v_weight = operand_def(TensorType)
    v_bias = operand_def(TensorType)
    out_weight = operand_def(TensorType)
    out_bias = operand_def(TensorType)
    heads = prop_def(IntegerAttr[I64])
    causal = prop_def(IntegerAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = FORMAT

    def verify_(self) -> None:
        x = shape_of(self.input.type)
        dim = shape_of(self.q_weight.type)[0]
        heads = self.heads.value.data
        if len(x) != 3:
            raise VerifyException("model.attention: input must be [N, T, dim]")
        if heads < 1:
            raise VerifyException(f"model.attention: heads must be positive, got {heads}")
        if not isinstance(dim, int) or dim % heads:
            raise VerifyException(f"model.attention: dim {dim} is not divisible by {heads} heads")
        for w in (self.q_weight, self.k_weight, self.v_weight, self.out_weight):
            if shape_of(w.type) != (dim, dim):
                raise VerifyException(f"model.attention: projection weights must be [{dim}, {dim}]")
        for b in (self.q_bias, self.k_bias, self.v_bias, self.out_bias):
            if shape_of(b.type) != (dim,):
                raise VerifyException(f"model.attention: projection biases must be [{dim}]")
        super().verify_()

    def result_shape(self) -> shapes.Shape:
        return _same(self.input.type, shape_of(self.q_weight.type)[0], "attention")

    @property
    def is_causal(self) -> bool:
        """Whether position i attends only to positions <= i."""
        return bool_prop(self.causal)


@irdl_op_definition
class DropoutOp(IRDLOperation):
    """Zeroes elements with probability `p` while training; identity otherwise."""

    name = "model.dropout"
    input = operand_def(TensorType)
    p = prop_def(FloatAttr)
    result = result_def(TensorType)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x: SSAValue, p: float):
        super().__init__(operands=[x], properties={"p": FloatAttr(p, f64)}, result_types=[x.type])

    def verify_(self) -> None:
        if not 0.0 <= self.p.value.data < 1.0:
            raise VerifyException("model.dropout: p must be in [0, 1)")
        if self.input.type != self.result.type:
            raise VerifyException("model.dropout: result type must equal input type")


class Pool2dBase(ShapedResult):
    """NCHW pooling with a square window."""

    input = operand_def(TensorType)
    kernel = prop_def(IntegerAttr[I64])
    stride = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shapes.pool2d_shape(
            shape_of(self.input.type), self.kernel.value.data, self.stride.value.data)

    def verify_(self) -> None:
        if self.kernel.value.data < 1 or self.stride.value.data < 1:
            raise VerifyException(f"{self.name}: kernel and stride must be >= 1")
        super().verify_()


@irdl_op_definition
class MaxPool2dOp(Pool2dBase):
    """NCHW max pooling."""

    name = "model.max_pool2d"


@irdl_op_definition
class AvgPool2dOp(Pool2dBase):
    """NCHW average pooling."""

    name = "model.avg_pool2d"


def _same(t: Attribute, dim: shapes.Dim, what: str) -> shapes.Shape:
    """The input shape, after checking that its last dimension is `dim`."""
    x = shape_of(t)
    shapes.check_last_dim(x, dim, what)
    return x


LAYER_OPS: list[type[IRDLOperation]] = [
    LinearOp, Conv2dOp, EmbeddingOp, LayerNormOp, RmsNormOp, AttentionOp, DropoutOp,
    MaxPool2dOp, AvgPool2dOp,
]
