# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# Type errors: dtypes, booleans, host values where tensors are needed, and arguments of
# the wrong kind.

model Net() {
    fc = Linear(4, 2)

    fn forward(x: i64[N, 4]) -> f32[N, 2] {
        # CHECK: {{.*}}type_errors.m:11:16: error: Linear at 'fc' needs a floating-point input, got i64[N, 4]
        return fc(x)
    }
}
let net = Net()

# -----

fn loss(logits: f32[N, 3], labels: f32[N]) -> f32[] {
    # CHECK: {{.*}}type_errors.m:20:34: error: cross_entropy needs integer labels, got f32[2]
    return cross_entropy(logits, labels)
}
print(loss(zeros([2, 3]), zeros([2])))

# -----

# CHECK: {{.*}}type_errors.m:27:7: error: mean needs a floating-point tensor, got i64; cast it first
print(mean(arange(4)))

# -----

# CHECK: {{.*}}type_errors.m:32:7: error: 'not' needs a boolean, got f32[2]
print(not zeros([2]))

# -----

# CHECK: {{.*}}type_errors.m:37:24: error: 'and' needs booleans, got bool[2] and f32[2]
print(zeros([2]) > 0.0 and zeros([2]))

# -----

# CHECK: {{.*}}type_errors.m:42:24: error: cast needs a dtype such as f32 or i64
print(cast(zeros([2]), "f16"))

# -----

fn f(x: f32[2]) -> f32[2] { return x }
# CHECK: {{.*}}type_errors.m:48:9: error: argument 'x' of f must be f32[2], got i64[2]
print(f(arange(2)))

# -----

model Width(n: int) {
    fc = Linear(n, 2)

    fn forward(x: f32[N, n]) -> f32[N, 2] {
        return fc(x)
    }
}
# CHECK: {{.*}}type_errors.m:60:15: error: hyper-parameter 'n' of Width must be int, got float
let w = Width(2.5)

# -----

let data = dataset("iris")
# CHECK: {{.*}}type_errors.m:66:4: error: condition must be a boolean, got int
if len(data) {
    print("rows")
}

# -----

# CHECK: {{.*}}type_errors.m:73:7: error: matrix product of f32[2, 2] and i64[2]: dtypes differ
print(matmul(zeros([2, 2]), arange(2)))

# -----

# CHECK: {{.*}}type_errors.m:78:13: error: where needs a boolean condition, got f32[2]
print(where(zeros([2]), zeros([2]), zeros([2])))

# -----

# CHECK: {{.*}}type_errors.m:83:6: error: seed must be an int, got float
seed(1.5)

# -----

model M() {
    fc = Linear(2, 2)

    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        return fc(x)
    }
}
let m = M()
# CHECK: {{.*}}type_errors.m:96:9: error: model inputs must be tensors or numbers, got str
print(m("not a tensor"))

# -----

let total = 0
for i in 0..3 {
    # CHECK: {{.*}}type_errors.m:103:5: error: 'total' holds int; cannot assign str
    total = "text"
}
