# RUN: mopt %s -t torch | filecheck %s
# RUN: mopt %s -p lower-attention | filecheck %s --check-prefix=LOWER
# RUN: mopt %s -p O2 | filecheck %s --check-prefix=TRITON

# `attention` lowers to the scores pattern of `lower-attention` (grouped-query heads
# repeated by a reshape/broadcast/reshape chain, the causal select, then the mask's), and
# the torch backend selects that pattern back into one scaled_dot_product_attention call;
# the causal mask folds into a boolean mask, which PyTorch takes alone. The `Attention`
# layer's pattern becomes one call too, its keys transposed back by one permute.

model M() {
  fn forward(q: f32[N, 4, 3, 8], k: f32[N, 2, 5, 8], v: f32[N, 2, 5, 8],
             m: bool[N, 1, 1, 5]) -> f32[N, 4, 3, 8] {
    return attention(q, k, v, mask=m, causal=true)
  }
  fn additive(q: f32[N, 4, 3, 8], k: f32[N, 4, 5, 8], v: f32[N, 4, 5, 8],
              m: f32[N, 4, 3, 5]) -> f32[N, 4, 3, 8] {
    return attention(q, k, v, mask=m, scale=0.5)
  }
  fn rotate(x: f32[N, 4, 3, 8], p: i64[3]) -> f32[N, 4, 3, 8] {
    return rope(x, p)
  }
}
model L() = Attention(16, 4, causal=true)
let m = M()
let l = L()

# CHECK-LABEL: def forward(params, q, k, v, m, training=False):
# CHECK-NEXT: """
# CHECK-NEXT: v0 = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=torch.logical_and(m, torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()), scale=0.35355338{{[0-9]*}}, enable_gqa=True)
# CHECK-LABEL: def additive(params, q, k, v, m, training=False):
# CHECK: torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.5)
# CHECK-LABEL: def rotate(
# CHECK: torch.cos
# CHECK-LABEL: def forward(params, x, training=False):
# CHECK-COUNT-3: torch.permute({{v[0-9]+}}, (0, 2, 1, 3))
# CHECK-NEXT: del
# CHECK-NEXT: torch.nn.functional.scaled_dot_product_attention({{v[0-9]+}}, {{v[0-9]+}}, {{v[0-9]+}}, is_causal=True, scale=0.5)

# LOWER-LABEL: func.func @forward
# LOWER: tensorops.reshape_tail %k from 2 : tensor<?x2x5x8xf32> -> tensor<?x2x1x5x8xf32>
# LOWER-NEXT: tensorops.broadcast_to {{.*}} -> tensor<?x2x2x5x8xf32>
# LOWER-NEXT: tensorops.reshape_tail {{.*}} from 1 : tensor<?x2x2x5x8xf32> -> tensor<?x4x5x8xf32>
# LOWER: tensorops.gt
# LOWER: %[[CAUSAL:[0-9]+]] = tensorops.select
# LOWER: tensorops.select %m, %[[CAUSAL]], {{%[0-9]+}}
# LOWER-LABEL: func.func @additive
# LOWER: tensorops.add {{%[0-9]+}}, %m
# LOWER-LABEL: func.func @rotate
# LOWER: tensorops.concat
# LOWER: tensorops.neg

# The Triton backend fuses each attention, masks included, into one kernel.
# TRITON-LABEL: func.func @forward
# TRITON: kernel.attention
# TRITON-LABEL: func.func @additive
# TRITON: kernel.attention
