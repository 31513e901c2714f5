"""`lower-conv-pool`: 2-d convolution and pooling to tensor ops.

In: `model.conv2d`, `model.max_pool2d` and `model.avg_pool2d` in model methods (NCHW,
square kernels, one stride and one padding for both spatial dimensions).
Out, for `conv2d(x, weight, bias)` with `C` output channels:

    %c  = tensorops.conv2d %x, %weight stride [s, s] padding [p, p]
    %b3 = tensorops.reshape %bias : tensor<Cxf32> -> tensor<Cx1x1xf32>
    %y  = tensorops.add %c, %b3                  // the bias broadcast over H and W

and each pooling op its tensorops twin with `kernel [k, k] stride [s, s] padding [0, 0]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import layers
from mlang.dialects.tensorops import AddOp, AvgPool2dOp, Conv2dOp, MaxPool2dOp, ReshapeOp
from mlang.passes.lowering import Lowering, ModelOpLowering, rewrite_model_methods


class LowerConv2d(ModelOpLowering[layers.Conv2dOp]):
    """`model.conv2d` -> `tensorops.conv2d`, plus the bias reshaped to `[C, 1, 1]`."""

    source = layers.Conv2dOp

    def lower(self, op: layers.Conv2dOp, b: Lowering) -> SSAValue:
        stride, padding = op.stride.value.data, op.padding.value.data
        y = b(Conv2dOp(op.input, op.weight, (stride, stride), (padding, padding)))
        if op.bias is None:
            return y
        return b(AddOp(y, b(ReshapeOp(op.bias, [-1, 1, 1]))))


class LowerPool2d(ModelOpLowering[layers.Pool2dBase]):
    """`model.max_pool2d` / `model.avg_pool2d` -> their tensorops twins, without padding."""

    source = (layers.MaxPool2dOp, layers.AvgPool2dOp)

    def lower(self, op: layers.Pool2dBase, b: Lowering) -> SSAValue:
        pool = MaxPool2dOp if isinstance(op, layers.MaxPool2dOp) else AvgPool2dOp
        kernel, stride = op.kernel.value.data, op.stride.value.data
        return b(pool(op.input, (kernel, kernel), (stride, stride)))


@dataclass(frozen=True)
class LowerConvPoolPass(ModulePass):
    """Lowers 2-d convolution and pooling in model methods to tensor ops."""

    name = "lower-conv-pool"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [LowerConv2d(), LowerPool2d()])
