"""Built-in layers (M-LANGUAGE.md section 6). Parameters arrive as operands from
`model.get_param`, so a layer op is a pure function of tensors and its properties.

Each op may carry a discardable `layer` attribute naming the field it came from
(`"fc1"`, `"blocks.0.attn"`), which `summary` and diagnostics use.
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    I64, DenseArrayBase, FloatAttr, IntegerAttr, TensorType, f64, i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, opt_operand_def,
    opt_prop_def, prop_def, result_def, traits_def,
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


class ConvBase(ShapedResult):
    """Convolution of an `[N, C, *spatial]` input with an `[O, C/groups, *kernel]` weight:
    one stride, one padding at the start (`padding`) and one at the end (`pad_end`,
    default `padding`) of every spatial dimension, dilation and channel groups (default 1)."""

    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    stride = prop_def(IntegerAttr[I64])
    padding = prop_def(IntegerAttr[I64])
    pad_end = opt_prop_def(IntegerAttr[I64])
    dilation = opt_prop_def(IntegerAttr[I64])
    groups = opt_prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    @property
    def geometry(self) -> shapes.ConvGeometry:
        """Stride, paddings, dilation and groups, defaults filled in."""
        padding = self.padding.value.data
        return shapes.ConvGeometry(self.stride.value.data, padding,
                                   _int_or(self.pad_end, padding), _int_or(self.dilation, 1),
                                   _int_or(self.groups, 1))

    def result_shape(self) -> shapes.Shape:
        return shapes.conv_shape(shape_of(self.input.type), shape_of(self.weight.type),
                                 self.geometry)

    def verify_(self) -> None:
        g = self.geometry
        if g.stride < 1 or min(g.padding, g.pad_end) < 0:
            raise VerifyException(f"{self.name}: stride must be >= 1 and padding >= 0")
        if g.dilation < 1 or g.groups < 1:
            raise VerifyException(f"{self.name}: dilation and groups must be >= 1")
        w = shape_of(self.weight.type)
        if self.bias is not None and shape_of(self.bias.type) != w[:1]:
            raise VerifyException(f"{self.name}: bias must have shape [{w[0]}]")
        if g.pad_end < g.padding or (g.pad_end - g.padding) % g.stride:
            raise VerifyException(f"{self.name}: pad_end must be padding plus a whole number "
                                  "of strides")
        if isinstance(w[0], int) and w[0] % g.groups:
            raise VerifyException(f"{self.name}: {w[0]} output channels do not split into "
                                  f"{g.groups} groups")
        super().verify_()


@irdl_op_definition
class Conv2dOp(ConvBase):
    """NCHW convolution with an OIHW weight."""

    name = "model.conv2d"


@irdl_op_definition
class Conv1dOp(ConvBase):
    """NCL convolution with an OIK weight."""

    name = "model.conv1d"


def _int_or(attr: IntegerAttr | None, default: int) -> int:
    """The value of an optional integer property, or `default`."""
    return default if attr is None else attr.value.data


@irdl_op_definition
class EmbeddingOp(ShapedResult):
    """Rows of `weight` for integer ids: `[*ids] -> [*ids, dim]`. Row `padding_idx`, when
    given, takes no gradient (PyTorch's `padding_idx`)."""

    name = "model.embedding"
    ids = operand_def(TensorType)
    weight = operand_def(TensorType)
    padding_idx = opt_prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = FORMAT

    def result_shape(self) -> shapes.Shape:
        return shape_of(self.ids.type) + shape_of(self.weight.type)[1:]

    def verify_(self) -> None:
        rows = shape_of(self.weight.type)
        if len(rows) != 2:
            raise VerifyException("model.embedding: weight must be 2-d")
        pad = self.padding_idx
        if pad is not None and isinstance(rows[0], int) and not 0 <= pad.value.data < rows[0]:
            raise VerifyException("model.embedding: padding_idx must be a row of the weight")
        super().verify_()


@irdl_op_definition
class LayerNormOp(ShapedResult):
    """Normalises the last dimension, then scales by `weight` and shifts by `bias` (when
    the layer has one)."""

    name = "model.layer_norm"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    eps = prop_def(FloatAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = FORMAT

    def result_shape(self) -> shapes.Shape:
        return _same(self.input.type, shape_of(self.weight.type)[0], "layer_norm")

    def verify_(self) -> None:
        dim = shape_of(self.weight.type)
        if len(dim) != 1 or (self.bias is not None and shape_of(self.bias.type) != dim):
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
    `1/sqrt(dim/heads)`; with `causal` position i attends to positions <= i. An optional
    `mask` broadcasting to the scores `[N, heads, T, T]` applies after that: a boolean one
    keeps the scores where it is true, any other is added to them.
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
    mask = opt_operand_def(TensorType)
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
        if self.mask is not None and len(shape_of(self.mask.type)) > 4:
            raise VerifyException("model.attention: the mask must broadcast to the scores "
                                  "[N, heads, T, T]")
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
    """NCHW pooling with a square window, the input padded by `padding` (default 0) on
    every side: with -inf for max pooling, zeros (counted) for average pooling."""

    input = operand_def(TensorType)
    kernel = prop_def(IntegerAttr[I64])
    stride = prop_def(IntegerAttr[I64])
    padding = opt_prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shapes.pool2d_shape(shape_of(self.input.type), self.kernel.value.data,
                                   self.stride.value.data, self.pad)

    @property
    def pad(self) -> int:
        """The padding on every side (0 when absent)."""
        return _int_or(self.padding, 0)

    def verify_(self) -> None:
        if self.kernel.value.data < 1 or self.stride.value.data < 1:
            raise VerifyException(f"{self.name}: kernel and stride must be >= 1")
        if not 0 <= 2 * self.pad <= self.kernel.value.data:
            raise VerifyException(f"{self.name}: padding must be in [0, kernel / 2]")
        super().verify_()


@irdl_op_definition
class MaxPool2dOp(Pool2dBase):
    """NCHW max pooling."""

    name = "model.max_pool2d"


@irdl_op_definition
class AvgPool2dOp(Pool2dBase):
    """NCHW average pooling."""

    name = "model.avg_pool2d"


@irdl_op_definition
class BatchNormOp(ShapedResult):
    """Batch normalisation over axis 1 of `[N, C]`, `[N, C, L]` or `[N, C, H, W]`.

    While training it normalises by the batch's mean and biased variance and updates the
    running statistics in place: `running = (1 - momentum) * running + momentum * batch`
    (the variance unbiased), `num_batches_tracked += 1`; otherwise it normalises by the
    running statistics. The update makes the op not pure.
    """

    name = "model.batch_norm"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = operand_def(TensorType)
    running_mean = operand_def(TensorType)
    running_var = operand_def(TensorType)
    num_batches_tracked = operand_def(TensorType)
    eps = prop_def(FloatAttr)
    momentum = prop_def(FloatAttr)
    result = result_def(TensorType)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = FORMAT

    def result_shape(self) -> shapes.Shape:
        return shapes.channels_shape(shape_of(self.input.type), shape_of(self.weight.type))

    def verify_(self) -> None:
        c = shape_of(self.weight.type)
        stats = (self.bias, self.running_mean, self.running_var)
        if len(c) != 1 or any(shape_of(v.type) != c for v in stats):
            raise VerifyException("model.batch_norm: weight, bias and running statistics "
                                  "must be 1-d of equal size")
        if shape_of(self.num_batches_tracked.type) != ():
            raise VerifyException("model.batch_norm: num_batches_tracked must be 0-d")
        super().verify_()


@irdl_op_definition
class GroupNormOp(ShapedResult):
    """Normalises each of `groups` groups of the channels (axis 1) of each sample, then
    scales and shifts each channel."""

    name = "model.group_norm"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = operand_def(TensorType)
    groups = prop_def(IntegerAttr[I64])
    eps = prop_def(FloatAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = FORMAT

    def result_shape(self) -> shapes.Shape:
        return shapes.channels_shape(shape_of(self.input.type), shape_of(self.weight.type))

    def verify_(self) -> None:
        c = shape_of(self.weight.type)
        if len(c) != 1 or shape_of(self.bias.type) != c:
            raise VerifyException("model.group_norm: weight and bias must be 1-d of equal size")
        groups = self.groups.value.data
        if groups < 1 or not isinstance(c[0], int) or c[0] % groups:
            raise VerifyException(f"model.group_norm: {c[0]} channels do not split into "
                                  f"{groups} groups")
        super().verify_()


@irdl_op_definition
class AdaptiveAvgPool2dOp(ShapedResult):
    """NCHW average pooling to an output of `size` [H, W]: output cell i of a dimension
    of n averages input cells floor(i * n / out) to ceil((i + 1) * n / out)."""

    name = "model.adaptive_avg_pool2d"
    input = operand_def(TensorType)
    size = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    @property
    def output_size(self) -> tuple[int, int]:
        """The output's height and width."""
        h, w = self.size.get_values()
        return h, w

    def result_shape(self) -> shapes.Shape:
        return shapes.adaptive_pool2d_shape(shape_of(self.input.type), self.output_size)

    def verify_(self) -> None:
        if len(self.size.get_values()) != 2 or min(self.size.get_values()) < 1:
            raise VerifyException(f"{self.name}: size must be two sizes >= 1")
        super().verify_()


def _same(t: Attribute, dim: shapes.Dim, what: str) -> shapes.Shape:
    """The input shape, after checking that its last dimension is `dim`."""
    x = shape_of(t)
    shapes.check_last_dim(x, dim, what)
    return x


LAYER_OPS: list[type[IRDLOperation]] = [
    LinearOp, Conv2dOp, EmbeddingOp, LayerNormOp, RmsNormOp, AttentionOp, DropoutOp,
    MaxPool2dOp, AvgPool2dOp, Conv1dOp, BatchNormOp, GroupNormOp, AdaptiveAvgPool2dOp,
]
