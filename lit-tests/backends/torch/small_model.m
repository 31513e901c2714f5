# RUN: mopt %s -t torch | filecheck %s
# RUN: not mopt %s -p O2 -t torch 2>&1 | filecheck %s --check-prefix=KERNEL

# Kernel-level IR is the Triton backend's to print.
# KERNEL: small_model.m:{{[0-9]+}}:{{[0-9]+}}: error: -t torch prints model- or tensor-level IR; 'kernel.{{[a-z_]+}}' is kernel level (-t triton prints it)

# The PyTorch code generated for every model.def, after lowering to tensor ops: one Python
# function per method, taking the parameters, the inputs and the training flag, which
# deletes each value after its last use. Instruction selection prints the transpose,
# matmul and add of a linear layer as one `linear`, the nine ops of a layer norm as one
# `layer_norm` and `maximum(x, 0)` as `relu`.

model Small(d: int, classes: int) {
    fc = Linear(d, 8)
    norm = LayerNorm(8)
    drop = Dropout(0.1)
    head = Linear(8, classes)

    fn forward(x: f32[N, d]) -> f32[N, classes] {
        return head(drop(relu(norm(fc(x)))))
    }

    fn embed(x: f32[N, d]) -> f32[N, 8] {
        return fc(x)
    }
}

model Pair() = Linear(2, 2) |> tanh

let s = Small(4, 3)
let p = Pair()
print(s(randn([2, 4])))

# Captures sit on plain CHECK lines, never on NEXT lines, because filecheck 1.0.6 puts a
# greedy `[^\n]*` in front of a NEXT pattern, which would cut a captured name short.

# CHECK-LABEL: # model.def @Small_4_3
# CHECK:       import torch
# CHECK-LABEL: def forward(params, x, training=False):
# CHECK-NEXT:    """@forward: (tensor<?x4xf32>) -> tensor<?x3xf32>"""
# CHECK:         [[WEIGHT:[a-z0-9_]+]] = params["fc.weight"]
# CHECK:         [[BIAS:[a-z0-9_]+]] = params["fc.bias"]
# CHECK:         [[LINEAR:[a-z0-9_]+]] = torch.nn.functional.linear(x, [[WEIGHT]], [[BIAS]])
# CHECK-NEXT:    del x, [[WEIGHT]], [[BIAS]]
# CHECK:         [[NORMED:[a-z0-9_]+]] = torch.nn.functional.layer_norm([[LINEAR]], (8,), {{[a-z0-9_]+}}, {{[a-z0-9_]+}}, 1e-05)
# CHECK:         [[RELU:[a-z0-9_]+]] = torch.relu([[NORMED]])
# CHECK:         [[DROPPED:[a-z0-9_]+]] = torch.nn.functional.dropout([[RELU]], 0.1, training=training)
# CHECK:         torch.nn.functional.linear([[DROPPED]],
# CHECK-NOT:     torch.matmul
# CHECK:         return
# CHECK-LABEL: def embed(params, x, training=False):
# CHECK:         torch.nn.functional.linear(x,
# CHECK:       FUNCTIONS = {"forward": forward, "embed": embed}

# CHECK-LABEL: # model.def @Pair
# CHECK-LABEL: def forward(params, x, training=False):
# CHECK:         params["0.weight"]
# CHECK:         torch.nn.functional.linear(x,
# CHECK:         [[TANH:[a-z0-9_]+]] = torch.tanh(
# CHECK-NEXT:    del
# CHECK-NEXT:    return [[TANH]]
# CHECK:       FUNCTIONS = {"forward": forward}
# CHECK-NOT:   def main
