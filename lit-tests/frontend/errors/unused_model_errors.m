# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# A model the host program never instantiates is still checked for its names, and an
# unknown name is answered with the closest one in sight.

model U(d: int) {
    # CHECK: {{.*}}unused_model_errors.m:8:10: error: unknown layer 'Lineer'; did you mean 'Linear'?
    fc = Lineer(d, d)

    fn forward(x: f32[N, d]) -> f32[N, d] {
        return fc(x)
    }
}
print(1)

# -----

model U(d: int) {
    fc = Linear(d, d)

    fn forward(x: f32[N, d]) -> f32[N, d] {
        # CHECK: {{.*}}unused_model_errors.m:23:16: error: unknown name 'sofmax'; did you mean 'softmax'?
        return sofmax(fc(x))
    }
}
print(1)

# -----

model U(d: int) {
    fc = Linear(d, d)

    fn forward(x: f32[N, d]) -> f32[N, d] {
        # CHECK: {{.*}}unused_model_errors.m:35:31: error: softmax has no parameter 'axs'; it takes: x, axis; did you mean 'axis'?
        return softmax(fc(x), axs=1)
    }
}
print(1)

# -----

# CHECK: {{.*}}unused_model_errors.m:43:35: error: unknown name 'rleu'; did you mean 'relu'?
model S(d: int) = Linear(d, d) |> rleu
print(1)

# -----

model Net() = Linear(4, 2)
let net = Net()
# CHECK: {{.*}}unused_model_errors.m:51:7: error: model Net has no method 'forwrd'; did you mean 'forward'?
print(net.forwrd(zeros([1, 4])))
