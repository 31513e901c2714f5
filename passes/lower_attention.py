"""`lower-attention`: multi-head self-attention to tensor ops.

In: `model.attention` in model methods, on `x: [N, T, D]` with `H` heads of size
`d = D / H`; N and T may be dynamic.
Out: this exact sequence, which a fusion pass may match (`lin(v, w, b)` is the three ops
of `lower-linear`: `transpose %w [1, 0]`, `matmul %v, %wt`, `add %vw, %b`):

    %q  = lin(%x, %q_weight, %q_bias)                              // [N, T, D]
    %k  = lin(%x, %k_weight, %k_bias)
    %v  = lin(%x, %v_weight, %v_bias)
    %qs = tensorops.reshape_tail %q from 2                         // [N, T, H, d]
    %qh = tensorops.transpose %qs [0, 2, 1, 3]                     // [N, H, T, d]
    %ks = tensorops.reshape_tail %k from 2                         // [N, T, H, d]
    %kt = tensorops.transpose %ks [0, 2, 3, 1]                     // [N, H, d, T]: k^T
    %vs = tensorops.reshape_tail %v from 2                         // [N, T, H, d]
    %vh = tensorops.transpose %vs [0, 2, 1, 3]                     // [N, H, T, d]
    %s0 = tensorops.matmul %qh, %kt                                // [N, H, T, T]
    %c  = tensorops.constant dense<1/sqrt(d)> : tensor<f32>
    %s  = tensorops.mul %s0, %c
    // only when causal: query i sees keys j <= i; the others get -inf, as PyTorch's
    // masked_fill does (the diagonal is never masked, so no row is all -inf)
    %i  = tensorops.iota %s axis 2                                 // [1, 1, T, 1]
    %j  = tensorops.iota %s axis 3                                 // [1, 1, 1, T]
    %f  = tensorops.gt %j, %i                                      // [1, 1, T, T]
    %ni = tensorops.constant -inf : tensor<f32>
    %sm = tensorops.select %f, %ni, %s                             // [N, H, T, T]
    // stable softmax over the keys (axis 3), as in `lower-activations`
    %m  = tensorops.reduce_max %sm axes [3] keepdim
    %e  = tensorops.exp (tensorops.sub %sm, %m)
    %p  = tensorops.div %e, (tensorops.reduce_sum %e axes [3] keepdim)
    %o  = tensorops.matmul %p, %vh                                 // [N, H, T, d]
    %ot = tensorops.transpose %o [0, 2, 1, 3]                      // [N, T, H, d]
    %om = tensorops.reshape_tail %ot from 2                        // [N, T, D]
    %y  = lin(%om, %out_weight, %out_bias)

`reshape_tail` keeps N and T as they are, so they may both be dynamic (`tensorops.reshape`
allows one unknown size only). The ops come out in this order; `cse` may later share the
constants with other ops of the method.

The `attention` function (`model.sdpa`, q `[N, H, T, D]`, k and v `[N, Hkv, S, D]`) is the
same core, its key/value heads first repeated for grouped queries (each `G = H / Hkv`
times, as `repeat_interleave` on axis 1) and its mask applied after the causal one:

    %k5 = tensorops.reshape_tail %k from 2                 // [N, Hkv, 1, S, D]
    %kb = tensorops.broadcast_to %k5                       // [N, Hkv, G, S, D]
    %kr = tensorops.reshape_tail %kb from 1                // [N, H, S, D] (so for v)
    %kt = tensorops.transpose %kr [0, 1, 3, 2]
    ...  scores, scale and causal mask as above, then
    %sm = tensorops.select %mask, %s, %ninf                // a boolean mask: true attends
    %sm = tensorops.add %s, %mask                          // a float mask is added
    ...  softmax and the product with V as above

`rope(x, positions, theta)` (`model.rope`) is Llama's rotate-half form, its angles in
float32 as Hugging Face computes them:

    %f  = tensorops.mul (cast %positions [.., T, 1]), %inv_freq    // [.., T, D/2]
    %e  = tensorops.concat %f, %f axis -1                          // [.., T, D]
    %c, %s = cos %e, sin %e                                        // [N, 1, T, D] for [N, T]
    %r  = tensorops.concat (neg x[..., D/2:]), x[..., :D/2] axis 3 // rotate_half(x)
    %y  = tensorops.add (mul %x, %c), (mul %r, %s)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType, f32, i1
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import layers
from mlang.dialects.model.attention import RopeOp, SdpaOp
from mlang.dialects.tensorops import (
    AddOp, BroadcastToOp, ConcatOp, ConstantOp, CosOp, GtOp, IotaOp, MatmulOp, MulOp, NegOp,
    ReshapeTailOp, SelectOp, SinOp, SliceOp, TransposeOp,
)
from mlang.dialects.tensorops.base import tensor_type_of
from mlang.passes.lowering import (
    Lowering, ModelOpLowering, element, emit_linear, emit_softmax, rewrite_model_methods,
)

SEQUENCE_AXIS, KEY_AXIS = 2, 3
"""Axes of the `[N, H, T, T]` scores: queries, then keys."""


def split_heads(b: Lowering, x: SSAValue, heads: int, size: int, order: list[int]) -> SSAValue:
    """`[N, T, H * size]` -> `[N, T, H, size]`, transposed to `order`."""
    return b(TransposeOp(b(ReshapeTailOp(x, 2, [heads, size])), order))


def mask_future(b: Lowering, scores: SSAValue) -> SSAValue:
    """Scores with -inf where the key comes after the query."""
    queries = b(IotaOp(scores, SEQUENCE_AXIS))
    keys = b(IotaOp(scores, KEY_AXIS))
    future = b(GtOp(keys, queries))
    return b(SelectOp(future, b.constant(-math.inf, element(scores)), scores))


class LowerAttention(ModelOpLowering[layers.AttentionOp]):
    """`model.attention` -> projections, heads, scaled scores, (mask), softmax, mix, out."""

    source = layers.AttentionOp

    def lower(self, op: layers.AttentionOp, b: Lowering) -> SSAValue:
        x, heads = op.input, op.heads.value.data
        dim = tensor_type_of(op.q_weight).get_shape()[0]  # parameters have static shapes
        size = dim // heads
        q = emit_linear(b, x, op.q_weight, op.q_bias)
        k = emit_linear(b, x, op.k_weight, op.k_bias)
        v = emit_linear(b, x, op.v_weight, op.v_bias)
        qh = split_heads(b, q, heads, size, [0, 2, 1, 3])
        kt = split_heads(b, k, heads, size, [0, 2, 3, 1])
        vh = split_heads(b, v, heads, size, [0, 2, 1, 3])
        products = b(MatmulOp(qh, kt))
        scores = b(MulOp(products, b.constant(1 / math.sqrt(size), element(x))))
        if op.is_causal:
            scores = mask_future(b, scores)
        if op.mask is not None:
            scores = apply_mask(b, scores, op.mask)
        mixed = b(TransposeOp(b(MatmulOp(emit_softmax(b, scores, KEY_AXIS), vh)), [0, 2, 1, 3]))
        merged = b(ReshapeTailOp(mixed, 2, [dim]))
        return emit_linear(b, merged, op.out_weight, op.out_bias)


def repeat_heads(b: Lowering, x: SSAValue, groups: int) -> SSAValue:
    """`[N, Hkv, S, D]` -> `[N, Hkv * groups, S, D]`, each head repeated `groups` times."""
    if groups == 1:
        return x
    heads, size = tensor_type_of(x).get_shape()[1], tensor_type_of(x).get_shape()[3]
    grouped = b(ReshapeTailOp(x, 2, [1, -1, size]))
    spread = b(BroadcastToOp(grouped, [-1, -1, groups, -1, -1]))
    return b(ReshapeTailOp(spread, 1, [heads * groups, -1, size]))


def apply_mask(b: Lowering, scores: SSAValue, mask: SSAValue) -> SSAValue:
    """Scores where a boolean mask is true (else -inf), or plus a float mask."""
    if element(mask) == i1:
        return b(SelectOp(mask, scores, b.constant(-math.inf, element(scores))))
    return b(AddOp(scores, mask))


class LowerSdpa(ModelOpLowering[SdpaOp]):
    """`model.sdpa` -> repeated kv heads, scaled scores, (masks), softmax, mix."""

    source = SdpaOp

    def lower(self, op: SdpaOp, b: Lowering) -> SSAValue:
        heads, kv_heads = (tensor_type_of(x).get_shape()[1] for x in (op.q, op.k))
        groups = heads // kv_heads
        k, v = (repeat_heads(b, x, groups) for x in (op.k, op.v))
        products = b(MatmulOp(op.q, b(TransposeOp(k, [0, 1, 3, 2]))))
        scores = b(MulOp(products, b.constant(op.scale.value.data, element(op.q))))
        if op.is_causal:
            scores = mask_future(b, scores)
        if op.mask is not None:
            scores = apply_mask(b, scores, op.mask)
        return b(MatmulOp(emit_softmax(b, scores, KEY_AXIS), v))


def inverse_frequencies(size: int, theta: float) -> list[float]:
    """`theta ** (-2i / size)` for `i < size / 2`, as float32 computes them."""
    return [float(np.float32(1.0) / np.float32(theta) ** (np.float32(2 * i) / np.float32(size)))
            for i in range(size // 2)]


class LowerRope(ModelOpLowering[RopeOp]):
    """`model.rope` -> float32 angles, cos and sin, `x * cos + rotate_half(x) * sin`."""

    source = RopeOp

    def lower(self, op: RopeOp, b: Lowering) -> SSAValue:
        x, size = op.input, tensor_type_of(op.input).get_shape()[3]
        rank = len(tensor_type_of(op.positions).get_shape())
        positions = b(ReshapeTailOp(b.cast(op.positions, f32), rank - 1, [-1, 1]))
        inv = ConstantOp.from_values(TensorType(f32, [size // 2]),
                                     inverse_frequencies(size, op.theta.value.data))
        angles = b(MulOp(positions, b(inv)))
        full = b(ConcatOp([angles, angles], rank))
        if rank == 2:  # [N, T, D] -> [N, 1, T, D], to broadcast over the heads
            full = b(ReshapeTailOp(full, 1, [1, -1, size]))
        cos, sin = (b.cast(b(f(full)), element(x)) for f in (CosOp, SinOp))
        half = size // 2
        low = b(SliceOp(x, [slice(None)] * 3 + [slice(0, half)]))
        high = b(SliceOp(x, [slice(None)] * 3 + [slice(half, size)]))
        rotated = b(ConcatOp([b(NegOp(high)), low], 3))
        return b(AddOp(b(MulOp(x, cos)), b(MulOp(rotated, sin))))


@dataclass(frozen=True)
class LowerAttentionPass(ModulePass):
    """Lowers `model.attention`, `model.sdpa` and `model.rope` in model methods to tensor
    ops."""

    name = "lower-attention"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [LowerAttention(), LowerSdpa(), LowerRope()])
