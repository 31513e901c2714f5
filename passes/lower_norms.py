"""`lower-norms`: layer and RMS normalisation to tensor ops.

In: `model.layer_norm` and `model.rms_norm` in model methods.
Out, for `layer_norm(x, weight, bias, eps)` over the last dimension (two passes over the
data, as stable as PyTorch's own; it matches `torch.nn.functional.layer_norm` to 1e-5):

    %mean = tensorops.reduce_mean %x axes [-1] keepdim
    %c    = tensorops.sub %x, %mean                 // centred
    %sq   = tensorops.mul %c, %c
    %var  = tensorops.reduce_mean %sq axes [-1] keepdim
    %r    = tensorops.rsqrt (tensorops.add %var, eps)
    %y    = tensorops.add (tensorops.mul (tensorops.mul %c, %r), %weight), %bias

and for `rms_norm(x, weight, eps)`, `(x * rsqrt(mean(x * x) + eps)) * weight`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import layers
from mlang.dialects.tensorops import AddOp, MulOp, ReduceMeanOp, RsqrtOp, SubOp
from mlang.passes.lowering import Lowering, ModelOpLowering, element, rewrite_model_methods


def emit_rsqrt_mean_square(b: Lowering, x: SSAValue, eps: float) -> SSAValue:
    """`rsqrt(mean(x * x, -1) + eps)`, the last dimension kept with size 1."""
    mean_square = b(ReduceMeanOp(b(MulOp(x, x)), -1, keepdim=True))
    return b(RsqrtOp(b(AddOp(mean_square, b.constant(eps, element(x))))))


class LowerLayerNorm(ModelOpLowering[layers.LayerNormOp]):
    """`layer_norm` -> mean, centre, mean of squares, rsqrt(var + eps), scale, shift."""

    source = layers.LayerNormOp

    def lower(self, op: layers.LayerNormOp, b: Lowering) -> SSAValue:
        x = op.input
        centred = b(SubOp(x, b(ReduceMeanOp(x, -1, keepdim=True))))
        normed = b(MulOp(centred, emit_rsqrt_mean_square(b, centred, op.eps.value.data)))
        return b(AddOp(b(MulOp(normed, op.weight)), op.bias))


class LowerRmsNorm(ModelOpLowering[layers.RmsNormOp]):
    """`rms_norm` -> mean of squares, rsqrt(ms + eps), scale."""

    source = layers.RmsNormOp

    def lower(self, op: layers.RmsNormOp, b: Lowering) -> SSAValue:
        x = op.input
        return b(MulOp(b(MulOp(x, emit_rsqrt_mean_square(b, x, op.eps.value.data))), op.weight))


@dataclass(frozen=True)
class LowerNormsPass(ModulePass):
    """Lowers `model.layer_norm` and `model.rms_norm` in model methods to tensor ops."""

    name = "lower-norms"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [LowerLayerNorm(), LowerRmsNorm()])
