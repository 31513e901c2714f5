"""`lower-conv-pool`: 1-d and 2-d convolution and pooling to tensor ops.

In: `model.conv1d`, `model.conv2d`, `model.max_pool2d`, `model.avg_pool2d` and
`model.adaptive_avg_pool2d` in model methods (NCHW or NCL, square kernels, one stride,
padding, dilation for every spatial dimension).
Out, for `conv2d(x, weight, bias)` with `C` output channels:

    %c  = tensorops.conv2d %x, %weight stride [s, s] padding [p, p] dilation [d, d] groups g
    %b3 = tensorops.reshape %bias : tensor<Cxf32> -> tensor<Cx1x1xf32>
    %y  = tensorops.add %c, %b3                  // the bias broadcast over H and W

A convolution padded more at the end than at the start (`padding="same"` with an even
kernel) is padded `pad_end` on both sides and its first outputs sliced off. A `conv1d` is
a `conv2d` of height 1: the input, the weight and the result are reshaped around it.
Each pooling op is its tensorops twin with `kernel [k, k] stride [s, s] padding [p, p]`;
an adaptive average pool is an average pool when the output size divides the input's, a
mean over H and W when it is 1 by 1, and otherwise one mean per output cell, concatenated.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import layers
from mlang.dialects.model.types import shape_of
from mlang.dialects.tensorops import (
    AddOp, AvgPool2dOp, ConcatOp, Conv2dOp, MaxPool2dOp, ReduceMeanOp, ReshapeOp, ReshapeTailOp,
    SliceOp,
)
from mlang.passes.lowering import Lowering, ModelOpLowering, rewrite_model_methods


class LowerConv(ModelOpLowering[layers.ConvBase]):
    """`model.conv1d` / `model.conv2d` -> `tensorops.conv2d`, plus the bias reshaped to
    broadcast over the spatial dimensions."""

    source = (layers.Conv1dOp, layers.Conv2dOp)

    def lower(self, op: layers.ConvBase, b: Lowering) -> SSAValue:
        g = op.geometry
        one_d = isinstance(op, layers.Conv1dOp)
        x, weight = op.input, op.weight
        if one_d:  # a conv2d of height 1
            x = b(ReshapeTailOp(x, 2, [1, -1]))
            weight = b(ReshapeTailOp(weight, 2, [1, -1]))
        # (height, width): a 1-d convolution slides over the width only.
        stride, pad, dilation = ((1, g.stride), (0, g.pad_end), (1, g.dilation)) if one_d \
            else ((g.stride,) * 2, (g.pad_end,) * 2, (g.dilation,) * 2)
        y = b(Conv2dOp(x, weight, stride, pad, dilation, g.groups))
        # Padding the start by `pad_end` too shifts the outputs by `shift`, a whole number
        # of strides (the verifier checks it); the first `shift` are sliced off.
        shift = (g.pad_end - g.padding) // g.stride
        if shift:
            y = b(SliceOp(y, [slice(None), slice(None), slice(0 if one_d else shift, None),
                              slice(shift, None)]))
        if one_d:
            y = b(ReshapeTailOp(y, 2, [-1]))
        if op.bias is None:
            return y
        spatial = len(shape_of(op.input.type)) - 2
        return b(AddOp(y, b(ReshapeOp(op.bias, [-1, *[1] * spatial]))))


class LowerPool2d(ModelOpLowering[layers.Pool2dBase]):
    """`model.max_pool2d` / `model.avg_pool2d` -> their tensorops twins."""

    source = (layers.MaxPool2dOp, layers.AvgPool2dOp)

    def lower(self, op: layers.Pool2dBase, b: Lowering) -> SSAValue:
        pool = MaxPool2dOp if isinstance(op, layers.MaxPool2dOp) else AvgPool2dOp
        kernel, stride = op.kernel.value.data, op.stride.value.data
        return b(pool(op.input, (kernel, kernel), (stride, stride), (op.pad, op.pad)))


class LowerAdaptiveAvgPool2d(ModelOpLowering[layers.AdaptiveAvgPool2dOp]):
    """`model.adaptive_avg_pool2d` -> an average pool, a mean, or one mean per cell."""

    source = layers.AdaptiveAvgPool2dOp

    def lower(self, op: layers.AdaptiveAvgPool2dOp, b: Lowering) -> SSAValue:
        out = op.output_size
        if out == (1, 1):
            return b(ReduceMeanOp(op.input, [-2, -1], keepdim=True))
        h, w = shape_of(op.input.type)[-2:]
        assert isinstance(h, int) and isinstance(w, int), "the frontend requires static sizes"
        if h % out[0] == 0 and w % out[1] == 0:
            kernel = (h // out[0], w // out[1])
            return b(AvgPool2dOp(op.input, kernel, kernel))
        rows = [b(ConcatOp([self._cell(op.input, b, (h, w), out, (i, j)) for j in range(out[1])],
                           -1))
                for i in range(out[0])]
        return b(ConcatOp(rows, -2))

    @staticmethod
    def _cell(x: SSAValue, b: Lowering, size: tuple[int, int], out: tuple[int, int],
              cell: tuple[int, int]) -> SSAValue:
        """The mean of the input cells that output cell `cell` covers (PyTorch's bounds)."""
        bounds = [slice(i * n // o, -(-(i + 1) * n // o)) for i, n, o in zip(cell, size, out)]
        window = b(SliceOp(x, [slice(None), slice(None), *bounds]))
        return b(ReduceMeanOp(window, [-2, -1], keepdim=True))


@dataclass(frozen=True)
class LowerConvPoolPass(ModulePass):
    """Lowers 1-d and 2-d convolution and pooling in model methods to tensor ops."""

    name = "lower-conv-pool"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [LowerConv(), LowerPool2d(), LowerAdaptiveAvgPool2d()])
