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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import layers
from mlang.dialects.tensorops import (
    GtOp, IotaOp, MatmulOp, MulOp, ReshapeTailOp, SelectOp, TransposeOp,
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
        mixed = b(TransposeOp(b(MatmulOp(emit_softmax(b, scores, KEY_AXIS), vh)), [0, 2, 1, 3]))
        merged = b(ReshapeTailOp(mixed, 2, [dim]))
        return emit_linear(b, merged, op.out_weight, op.out_bias)


@dataclass(frozen=True)
class LowerAttentionPass(ModulePass):
    """Lowers `model.attention` in model methods to tensor ops."""

    name = "lower-attention"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [LowerAttention()])
