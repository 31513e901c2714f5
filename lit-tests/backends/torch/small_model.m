# RUN: mopt %s -t torch | filecheck %s

# The PyTorch code generated for every model.def, after lowering to tensor ops: one Python
# function per method, taking the parameters, the inputs and the training flag, which
# deletes each value after its last use.

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
# CHECK-NEXT:    = torch.permute([[WEIGHT]], (1, 0))
# CHECK-NEXT:    del [[WEIGHT]]
# CHECK:         [[PRODUCT:[a-z0-9_]+]] = torch.matmul(x,
# CHECK-NEXT:    del x, {{[a-z0-9_]+}}
# CHECK-NEXT:    = torch.add([[PRODUCT]], [[BIAS]])
# CHECK-NEXT:    del [[PRODUCT]], [[BIAS]]
# CHECK:         torch.mean({{[a-z0-9_]+}}, dim=(1,), keepdim=True)
# CHECK:         torch.rsqrt(
# CHECK:         [[DROPPED:[a-z0-9_]+]] = torch.nn.functional.dropout({{.*}}, 0.1, training=training)
# CHECK:         torch.matmul([[DROPPED]],
# CHECK:         return
# CHECK-LABEL: def embed(params, x, training=False):
# CHECK:         torch.matmul(x,
# CHECK:       FUNCTIONS = {"forward": forward, "embed": embed}

# CHECK-LABEL: # model.def @Pair
# CHECK-LABEL: def forward(params, x, training=False):
# CHECK:         params["0.weight"]
# CHECK:         torch.matmul(x,
# CHECK:         [[TANH:[a-z0-9_]+]] = torch.tanh(
# CHECK-NEXT:    del
# CHECK-NEXT:    return [[TANH]]
# CHECK:       FUNCTIONS = {"forward": forward}
# CHECK-NOT:   def main
