# RUN: not mopt %s -p 'O2,quantize' 2>&1 | filecheck %s --check-prefix=QUANTIZE
# RUN: mopt %s -p O2 | not mopt -p lower-to-tensor 2>&1 | filecheck %s --check-prefix=AGAIN

# Passes that take tensor ops say so of kernel IR, at the kernel, which fusion places
# where the last op it fused was (it had no location, and errors fell back to the model).

model Net() {
    fc = Linear(4, 8)
    fn forward(x: f32[N, 4]) -> f32[N, 8] {
        return relu(fc(x))
    }
}
let net = Net()

# QUANTIZE:      kernel_ir_is_past_tensor_level.m:10:16: error: quantize: 'kernel.matmul' is kernel IR, past tensor level: quantize runs on tensor ops, before kernel fusion (lower-to-kernel)
# QUANTIZE-NEXT:         return relu(fc(x))
# AGAIN:         error: 'kernel.matmul' op is kernel IR, past tensor level: lowering to tensor level starts from model ops
# AGAIN-NOT:     note:
