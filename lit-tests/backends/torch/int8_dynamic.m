# RUN: mopt %s -p 'lower-to-tensor,quantize{mode=dynamic},cse' -t torch | filecheck %s

# Dynamic int8 on the torch backend: the per-row scale of the activations and their
# quantization become one `int8_quantize_rows` call that gives both, and each int8
# product with its rescaling and bias one `int8_linear` call (`backends/torch/kernels.py`);
# the two linear layers that read the same input share its quantization.

model Heads() {
    a = Linear(4, 8)
    b = Linear(4, 8, bias=false)

    fn forward(x: f32[N, 4]) -> f32[N, 8] {
        return relu(a(x)) + b(x)
    }
}

let h = Heads()

# CHECK-LABEL: # model.def @Heads
# CHECK:       from mlang.backends.torch.kernels import int8_quantize_rows, int8_linear
# CHECK-LABEL: def forward(params, x, training=False):
# CHECK:         [[Q:[a-z0-9_]+]], [[SCALE:[a-z0-9_]+]] = int8_quantize_rows(x, 1)
# CHECK:         [[A:[a-z0-9_]+]] = int8_linear([[Q]], {{[a-z0-9_]+}}, [[SCALE]], {{[a-z0-9_]+}}, {{[a-z0-9_]+}})
# CHECK:         torch.relu([[A]])
# CHECK:         [[B:[a-z0-9_]+]] = int8_linear([[Q]], {{[a-z0-9_]+}}, [[SCALE]], {{[a-z0-9_]+}})
# CHECK-NOT:     torch.amax
# CHECK:         return
