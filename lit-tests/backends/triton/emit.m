# RUN: mopt %s -t triton | filecheck %s

# `mopt -t triton` lowers each model with O2 and prints its Triton module: a summary
# line per method, then per kernel a @triton.jit function and its host wrapper.

model Mlp(d: int, hidden: int) {
    norm = LayerNorm(d)
    fc1 = Linear(d, hidden)
    fc2 = Linear(hidden, 3)

    fn forward(x: f32[N, d]) -> f32[N, 3] {
        return fc2(gelu(fc1(norm(x)))) * 2.0
    }
}

let net = Mlp(10, 24)

# CHECK:       # model.def @Mlp_10_24
# CHECK:       # @forward: 3 kernels (2 matmul, 1 reduction); torch: none
# CHECK:       import triton.language as tl

# Layer norm: one row-wise kernel, whole rows in BLOCK_C, f32 sums over masked columns.
# CHECK-LABEL: def forward_reduction0_kernel(in0, in1, in2, out0, rows, cols,
# CHECK-SAME:      BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
# CHECK:         mask = rmask & cmask
# CHECK:         tl.sum(tl.where(cmask, {{.*}}, tl.full([], 0.0, tl.float32)), axis=1)[:, None] / cols
# CHECK:         tl.sqrt_rn
# CHECK:         tl.store(out0 + {{.*}}, mask=mask)
# CHECK-LABEL: def forward_reduction0(device, x, {{.*}}):
# CHECK:         launch.OutputBuffer(shape, [], torch.float32, device)
# CHECK:         BLOCK_R = 256

# fc1: the product, bias and gelu (erf) in one kernel; the weight transpose is a view.
# CHECK-LABEL: def forward_matmul1_kernel(
# CHECK-SAME:      BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
# CHECK:         for k0 in range(0, K, BLOCK_K):
# CHECK:           acc += tl.dot({{.*}}, input_precision="ieee")
# CHECK:         tl.erf
# CHECK-LABEL: def forward_matmul1(device, {{.*}}):
# CHECK:         torch.permute({{.*}}, (1, 0))
# CHECK:         BLOCK_M, BLOCK_N, BLOCK_K = 64, 32, 16

# fc2 with its bias and the scaling by 2 as epilogue.
# CHECK-LABEL: def forward_matmul2_kernel(
# CHECK:         acc += tl.dot
# CHECK:         * tl.full([], 2.0, tl.float32))
# CHECK-LABEL: def forward(params, x, training=False):
# CHECK-NEXT:    """@forward: (tensor<?x10xf32>) -> tensor<?x3xf32>"""
# CHECK-NEXT:    device = launch.device_of(params, x)
# CHECK:         = forward_reduction0(device, x,
# CHECK:         = forward_matmul1(device,
# CHECK:         = forward_matmul2(device,
# CHECK:       FUNCTIONS = {"forward": forward}
