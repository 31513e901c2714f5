# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# What must be known at compile time: axes, layer arguments, repeat counts, indices into
# layer lists, loop bounds and conditions in models; and what can never be unrolled.

fn pick(x: f32[N, 4], axis: int) -> f32[N] {
    # CHECK: {{.*}}static_errors.m:8:19: error: axis must be an integer known at compile time, got int
    return sum(x, axis=axis)
}
let data = dataset("iris")
print(pick(data.x, len(data)))

# -----

model Drop() {
    # CHECK: {{.*}}static_errors.m:17:20: error: Dropout probability must be in [0, 1), got 1.5
    drop = Dropout(1.5)

    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        return drop(x)
    }
}
let d = Drop()

# -----

model Heads() {
    # CHECK: {{.*}}static_errors.m:29:12: error: Attention: dim 10 is not divisible by 4 heads
    attn = Attention(10, 4)

    fn forward(x: f32[N, T, 10]) -> f32[N, T, 10] {
        return attn(x)
    }
}
let h = Heads()

# -----

model Empty(depth: int) {
    # CHECK: {{.*}}static_errors.m:41:21: error: repeat count must be at least 1, got 0
    blocks = repeat(depth, Linear(4, 4))

    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        return x
    }
}
let e = Empty(0)

# -----

model Short() {
    blocks = repeat(2, Linear(4, 4))

    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        # CHECK: {{.*}}static_errors.m:56:23: error: index 2 is out of range for 2 items
        return blocks[2](x)
    }
}
let s = Short()

# -----

# CHECK: {{.*}}static_errors.m:65:12: error: calls nest more than 64 deep (is 'forever' recursive?)
fn forever(x: f32[N]) -> f32[N] {
    return forever(x)
}
print(forever(zeros([2])))

# -----

model Loop() {
    fc = Linear(4, 4)

    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        let h = x
        # CHECK: {{.*}}static_errors.m:77:18: error: loop bounds in a model must be known at compile time
        for i in 0..sum(x) {
            h = fc(h)
        }
        return h
    }
}
let l = Loop()

# -----

model Branch() {
    fc = Linear(4, 4)

    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        # CHECK: {{.*}}static_errors.m:92:19: error: a condition in a model must be known at compile time
        if sum(x) > 0.0 {
            return fc(x)
        }
        return x
    }
}
let b = Branch()

# -----

model Size(n: int) {
    fc = Linear(n, 2)

    fn forward(x: f32[N, n]) -> f32[N, 2] {
        return fc(x)
    }
}
let data = dataset("iris")
# CHECK: {{.*}}static_errors.m:111:16: error: hyper-parameter 'n' of Size must be known at compile time, got int
let net = Size(len(data))

# -----

model Conv() {
    # CHECK: {{.*}}static_errors.m:117:28: error: Conv2d argument 'stride' must be at least 1, got 0
    conv = Conv2d(3, 8, 3, stride=0)

    fn forward(x: f32[N, 3, 8, 8]) -> f32[N, 8, 6, 6] {
        return conv(x)
    }
}
let c = Conv()
