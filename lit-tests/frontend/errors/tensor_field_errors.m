# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# Tensor fields and ties: a missing initialiser, a tie of two shapes, an unknown path, and
# load_weights's options known at compile time.

model M() {
# CHECK: {{.*}}tensor_field_errors.m:8:11: error: param 'w' needs an initialiser: param w: TYPE = zeros([...])
    param w: f32[4]
    fn forward(x: f32[N, 4]) -> f32[N, 4] { return x }
}

# -----

model M() {
    a = Linear(4, 4)
    b = Linear(4, 3)
# CHECK: {{.*}}tensor_field_errors.m:18:5: error: tie: 'a.weight' is f32[4, 4] but 'b.weight' is f32[3, 4]; a tie joins parameters of one shape
    tie a.weight = b.weight
    fn forward(x: f32[N, 4]) -> f32[N, 4] { return a(x) }
}
print(M()(ones([1, 4])))

# -----

model M() = Linear(4, 4)
let m = M()
# CHECK: {{.*}}tensor_field_errors.m:28:25: error: load_weights: rename must map names to names
load_weights(m, "w.pt", rename=["h"])
