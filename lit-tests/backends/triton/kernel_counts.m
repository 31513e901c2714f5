# RUN: mopt %s -t triton | filecheck %s
# RUN: mopt %s -p O2 --mlir-pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS
# RUN: mopt %S/../../../examples/transformer.m -t triton | filecheck %s --check-prefix=EXAMPLE

# A pre-norm transformer block (layer norm, causal attention, residual, layer norm, FFN
# with gelu, residual) lowers to at most 7 kernels, none of them handed to PyTorch:
# layer norm; q, k, v as one matmul (merge-qkv); attention; out projection with the
# residual; layer norm; up projection with gelu; down projection with the residual.

model PreNorm(dim: int, heads: int) {
    ln1 = LayerNorm(dim)
    attn = Attention(dim, heads, causal=true)
    ln2 = LayerNorm(dim)
    up = Linear(dim, 4 * dim)
    down = Linear(4 * dim, dim)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let h = x + attn(ln1(x))
        return h + down(gelu(up(ln2(h))))
    }
}

# Layer norm, causal attention and the residual: at most 4 kernels.

model AttnRes(dim: int, heads: int) {
    ln = LayerNorm(dim)
    attn = Attention(dim, heads, causal=true)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return x + attn(ln(x))
    }
}

let a = PreNorm(32, 4)
let b = AttnRes(32, 4)

# CHECK-LABEL: # model.def @PreNorm_32_4
# CHECK:       # @forward: 7 kernels (1 attention, 4 matmul, 2 reduction); torch: none
# CHECK:       def forward_reduction0(device,
# CHECK:       def forward_matmul1(device,
# CHECK:         launch.concat_parameters(
# CHECK:       def forward_attention2_kernel(
# CHECK:         for n0 in range(0, tl.minimum(TK, (tl.program_id(0) + 1) * BLOCK_M), BLOCK_N):
# CHECK:           s = tl.where(rn[None, :] > rm[:, None], tl.full([], float("-inf"), tl.float32), s)
# CHECK:       def forward_attention2(device,
# CHECK:         launch.OutputBuffer(shape, [("permute", (0, 2, 1, 3), 0), ("reshape_tail", (32,), 2)]
# CHECK:       def forward_matmul3(device,
# CHECK:       def forward_reduction4(device,
# CHECK:       def forward_matmul5(device,
# CHECK:       def forward_matmul6(device,
# CHECK-NOT:   def forward_{{[a-z]+}}7(
# CHECK-LABEL: # model.def @AttnRes_32_4
# CHECK:       # @forward: 4 kernels (1 attention, 2 matmul, 1 reduction); torch: none

# STATS:       'merge-qkv'
# STATS-NEXT:    (S) 6 projections-merged
# STATS:       'fuse-attention'
# STATS-NEXT:    (S) 2 kernels-formed
# STATS:       'wrap-kernels'
# STATS-NEXT:    (S) 0 pointwise-kernels
# STATS-NEXT:    (S) 3 reduction-kernels
# STATS-NEXT:    (S) 6 matmul-kernels
# STATS-NEXT:    (S) 2 attention-kernels
# STATS-NEXT:    (S) 0 extern-kernels

# examples/transformer.m: an input scaling, the embedding matmul (bias and positions in
# its epilogue), 7 kernels per block, the final norm (written transposed), the mean over
# tokens and the head; the position lookup (gather) goes to PyTorch.

# EXAMPLE: # @forward: 20 kernels (2 attention, 1 extern, 10 matmul, 1 pointwise, 6 reduction); torch: tensorops.gather
