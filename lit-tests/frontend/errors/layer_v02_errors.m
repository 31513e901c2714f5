# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# The arguments and inputs of the layers of M 0.2, each error at the argument or call
# that is wrong.

model Img() {
    bn = BatchNorm2d(3)
    fn forward(x: f32[N, 3, 8]) -> f32[N, 3, 8] {
        # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:16: error: BatchNorm2d at 'bn' expects a 4-d input [N, C, ...], got f32[N, 3, 8]
        return bn(x)
    }
}
let m = Img()

# -----

model Seq() {
    bn = BatchNorm1d(4)
    fn forward(x: f32[N, 3]) -> f32[N, 3] {
        # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:16: error: BatchNorm1d at 'bn': expects [N, 4, ...], got [N, 3]
        return bn(x)
    }
}
let m = Seq()

# -----

model Groups() {
    # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:25: error: Conv2d: in_ch 6 is not divisible by groups 4
    c = Conv2d(6, 8, 3, groups=4)
    fn forward(x: f32[N, 6, 8, 8]) -> f32[N, 8, 6, 6] {
        return c(x)
    }
}
let m = Groups()

# -----

model Same() {
    # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:25: error: Conv1d: padding="same" needs stride 1, got stride 2
    c = Conv1d(2, 2, 3, padding="same", stride=2)
    fn forward(x: f32[N, 2, 8]) -> f32[N, 2, 8] {
        return c(x)
    }
}
let m = Same()

# -----

model Pad() {
    # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:25: error: Conv2d argument 'padding' must be an integer or "same", got "valid"
    c = Conv2d(2, 2, 3, padding="valid")
    fn forward(x: f32[N, 2, 8, 8]) -> f32[N, 2, 6, 6] {
        return c(x)
    }
}
let m = Pad()

# -----

model GN() {
    # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:19: error: GroupNorm: 6 channels do not split into 4 groups
    g = GroupNorm(4, 6)
    fn forward(x: f32[N, 6, 4]) -> f32[N, 6, 4] {
        return g(x)
    }
}
let m = GN()

# -----

model Momentum() {
    # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:25: error: BatchNorm1d argument 'momentum' must be in (0, 1], got 1.5
    bn = BatchNorm1d(4, momentum=1.5)
    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        return bn(x)
    }
}
let m = Momentum()

# -----

model Pool() {
    p = AdaptiveAvgPool2d(2)
    fn forward(x: f32[N, 3, 8]) -> f32[N, 3, 2] {
        # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:16: error: AdaptiveAvgPool2d at 'p': adaptive pooling expects a 4-d NCHW input, got [N, 3, 8]
        return p(x)
    }
}
let m = Pool()

# -----

model Dyn() {
    p = AdaptiveAvgPool2d(2)
    fn forward(x: f32[N, 3, H, W]) -> f32[N, 3, 2, 2] {
        # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:16: error: AdaptiveAvgPool2d at 'p' to a size other than 1 needs static input sizes, got f32[N, 3, H, W]
        return p(x)
    }
}
let m = Dyn()

# -----

model Pad() {
    # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:25: error: Embedding: padding_idx 5 is outside [-5, 5)
    e = Embedding(5, 3, padding_idx=5)
    fn forward(x: i64[N]) -> f32[N, 3] {
        return e(x)
    }
}
let m = Pad()

# -----

model Pool() {
    # CHECK: {{.*}}layer_v02_errors.m:[[# @LINE + 1]]:32: error: MaxPool2d: padding 2 is more than half the kernel 3
    p = MaxPool2d(3, stride=2, padding=2)
    fn forward(x: f32[N, 3, 8, 8]) -> f32[N, 3, 4, 4] {
        return p(x)
    }
}
let m = Pool()
