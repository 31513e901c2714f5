# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# Shape mismatches are reported at the call or the operator that causes them, once per
# chunk, with the source line and a caret.

model Classifier(features: int, classes: int) {
    fc = Linear(64, classes)

    fn forward(x: f32[N, features]) -> f32[N, classes] {
        # CHECK: {{.*}}shape_errors.m:13:16: error: Linear at 'fc': linear expects inputs with last dimension 64, got [N, 32]
        # CHECK-NEXT: {{^}}        return fc(x)
        # CHECK-NEXT: {{^}}               ^
        return fc(x)
    }
}
let net = Classifier(32, 10)

# -----

# CHECK: {{.*}}shape_errors.m:21:59: error: matrix product of [2, 4] and [5, 3]: inner sizes 4 and 5 differ
fn mm(a: f32[N, 4], b: f32[5, 3]) -> f32[N, 3] { return a @ b }
print(mm(randn([2, 4]), randn([5, 3])))

# -----

fn join(a: f32[2, 3], b: f32[2, 4]) -> f32[4, 3] {
    # CHECK: {{.*}}shape_errors.m:28:12: error: concat: sizes 3 and 4 differ in dimension 1
    return concat([a, b], axis=0)
}
print(join(zeros([2, 3]), zeros([2, 4])))

# -----

fn bad_reshape(x: f32[2, 3]) -> f32[4, 2] {
    # CHECK: {{.*}}shape_errors.m:36:23: error: reshape: cannot reshape [2, 3] (6 elements) to [4, 2]
    return reshape(x, [4, 2])
}
print(bad_reshape(zeros([2, 3])))

# -----

# CHECK: {{.*}}shape_errors.m:43:21: error: operator 'add': shapes [2, 3] and [4] do not broadcast
print(zeros([2, 3]) + zeros([4]))

# -----

model Wrong() {
    fc = Linear(4, 8)

    # CHECK: {{.*}}shape_errors.m:51:33: error: the result of forward must be f32[N, 4], got f32[N, 8]
    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        return fc(x)
    }
}
let w = Wrong()

# -----

model Conv() {
    conv = Conv2d(3, 8, 3)

    fn forward(x: f32[N, 1, 28, 28]) -> f32[N, 8, 26, 26] {
        # CHECK: {{.*}}shape_errors.m:64:16: error: Conv2d at 'conv': conv2d expects 3 input channels, got [N, 1, 28, 28]
        return conv(x)
    }
}
let c = Conv()

# -----

model Seq() {
    attn = Attention(8, 2)

    fn forward(x: f32[N, 8]) -> f32[N, 8] {
        # CHECK: {{.*}}shape_errors.m:76:16: error: Attention at 'attn' expects [N, T, dim], got f32[N, 8]
        return attn(x)
    }
}
let s = Seq()

# -----

# CHECK: {{.*}}shape_errors.m:84:7: error: transpose: axis 2 is out of range for a tensor of rank 2
print(transpose(zeros([2, 3]), 0, 2))

# -----

fn pair(x: f32[N, 4]) -> f32[N, 4] { return x }
# CHECK: {{.*}}shape_errors.m:90:12: error: argument 'x' of pair must be f32[N, 4], got f32[3, 5]
print(pair(zeros([3, 5])))

# -----

# A body that fits its types for any sizes, but not for those of one call, is reported
# at that call, with a note in the body; a body wrong whatever the sizes, in the body.
fn add(a: f32[N], b: f32[M]) -> f32[N] {
    # CHECK: {{.*}}shape_errors.m:[[# @LINE + 5]]:7: error: add: operator 'add': shapes [2] and [3] do not broadcast
    # CHECK-NEXT: {{^}}print(add(ones([2]), ones([3])))
    # CHECK: {{.*}}shape_errors.m:[[# @LINE + 1]]:14: note: in the body of add, for the sizes of this call
    return a + b
}
print(add(ones([2]), ones([3])))
