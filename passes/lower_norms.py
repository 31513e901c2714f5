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

(without `%bias` when the layer has none), for `rms_norm(x, weight, eps)`,
`(x * rsqrt(mean(x * x) + eps)) * weight`, and for `group_norm(x, weight, bias)` of G
groups on `[N, C, *S]` the layer norm's arithmetic over the last axis of `x` reshaped to
`[N, G, C/G * prod(S)]`, reshaped back, then scaled and shifted by `weight` and `bias`
reshaped to `[C, 1, ...]`. `batch_norm` is `tensorops.batch_norm`: it updates its running
statistics while training, which no pure arithmetic can.
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
    AddOp, BatchNormOp, MulOp, ReduceMeanOp, ReshapeOp, ReshapeTailOp, RsqrtOp, SubOp,
)
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
        scaled = b(MulOp(normed, op.weight))
        return scaled if op.bias is None else b(AddOp(scaled, op.bias))


class LowerGroupNorm(ModelOpLowering[layers.GroupNormOp]):
    """`group_norm` -> the layer norm of each group, then a per-channel scale and shift."""

    source = layers.GroupNormOp

    def lower(self, op: layers.GroupNormOp, b: Lowering) -> SSAValue:
        x = op.input
        shape = shape_of(x.type)
        grouped = b(ReshapeTailOp(x, 1, [op.groups.value.data, -1]))
        centred = b(SubOp(grouped, b(ReduceMeanOp(grouped, -1, keepdim=True))))
        normed = b(MulOp(centred, emit_rsqrt_mean_square(b, centred, op.eps.value.data)))
        # Back to [N, C, *S]: at most one unknown size, which the frontend ensures.
        back = b(ReshapeTailOp(normed, 1, [n if isinstance(n, int) else -1 for n in shape[1:]]))
        channel = [-1, *[1] * (len(shape) - 2)]
        scaled = b(MulOp(back, b(ReshapeOp(op.weight, channel))))
        return b(AddOp(scaled, b(ReshapeOp(op.bias, channel))))


class LowerBatchNorm(ModelOpLowering[layers.BatchNormOp]):
    """`model.batch_norm` -> `tensorops.batch_norm`."""

    source = layers.BatchNormOp

    def lower(self, op: layers.BatchNormOp, b: Lowering) -> SSAValue:
        stats = (op.weight, op.bias, op.running_mean, op.running_var, op.num_batches_tracked)
        return b(BatchNormOp(op.input, stats, op.eps.value.data, op.momentum.value.data))


class LowerRmsNorm(ModelOpLowering[layers.RmsNormOp]):
    """`rms_norm` -> mean of squares, rsqrt(ms + eps), scale."""

    source = layers.RmsNormOp

    def lower(self, op: layers.RmsNormOp, b: Lowering) -> SSAValue:
        x = op.input
        return b(MulOp(b(MulOp(x, emit_rsqrt_mean_square(b, x, op.eps.value.data))), op.weight))


@dataclass(frozen=True)
class LowerNormsPass(ModulePass):
    """Lowers layer, RMS, group and batch normalisation in model methods to tensor ops."""

    name = "lower-norms"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(
            op, [LowerLayerNorm(), LowerRmsNorm(), LowerGroupNorm(), LowerBatchNorm()])
