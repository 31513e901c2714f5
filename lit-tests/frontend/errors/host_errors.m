# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# Host functions: string options known at compile time are checked against the spec's
# lists, and quantized models can neither be trained nor quantized again.

model Net() {
    fc = Linear(4, 3)

    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc(x)
    }
}

# CHECK: {{.*}}host_errors.m:15:20: error: unknown data set 'mnist'; expected one of digits, iris, wine, breast_cancer, diabetes
let data = dataset("mnist")

# -----

let data = dataset("iris")
# The first argument of fit must be a model.
# CHECK: {{.*}}host_errors.m:22:5: error: the first argument must be a model, got dataset
fit(data, data)

# -----

model Net() {
    fc = Linear(4, 3)

    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc(x)
    }
}
let data = dataset("iris")
let net = Net()
# CHECK: {{.*}}host_errors.m:36:16: error: unknown loss 'hinge'; expected one of cross_entropy, mse
fit(net, data, loss="hinge")

# -----

model Net() {
    fc = Linear(4, 3)

    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc(x)
    }
}
let data = dataset("iris")
let net = Net()
# CHECK: {{.*}}host_errors.m:50:16: error: unknown optimizer 'rmsprop'; expected one of adam, adamw, sgd
fit(net, data, optimizer="rmsprop")

# -----

model Net() {
    fc = Linear(4, 3)

    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc(x)
    }
}
let data = dataset("iris")
let net = Net()
# CHECK: {{.*}}host_errors.m:64:27: error: unknown metric 'auc'; expected one of accuracy, loss, mse, mae, f1
print(evaluate(net, data, metric="auc"))

# -----

model Net() {
    fc = Linear(4, 3)

    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc(x)
    }
}
let small = quantize(Net(), "int8")
# CHECK: {{.*}}host_errors.m:77:24: error: this model is already quantized
let smaller = quantize(small, "int8")

# -----

model Net() {
    fc = Linear(4, 3)

    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc(x)
    }
}
# CHECK: {{.*}}host_errors.m:89:33: error: mode="static" needs calibrate=DATASET
let q = quantize(Net(), "int8", mode="static")

# -----

model Net() {
    fc = Linear(4, 3)

    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc(x)
    }
}
let q = quantize(Net(), "int8")
# CHECK: {{.*}}host_errors.m:102:5: error: a quantized model cannot be trained
fit(q, dataset("iris"))

# -----

# CHECK: {{.*}}host_errors.m:107:37: error: split fraction must be in (0, 1), got 1.5
let (a, b) = split(dataset("iris"), 1.5)

# -----

# CHECK: {{.*}}host_errors.m:112:13: error: Linear creates a layer: declare it as a model field
let layer = Linear(4, 2)

# -----

model Net() {
    fc = Linear(4, 3)

    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc(x)
    }
}
# CHECK: {{.*}}host_errors.m:124:29: error: lr must be positive, got 0
fit(Net(), dataset("iris"), lr=0)

# -----

# CHECK: {{.*}}host_errors.m:129:39: error: unknown quantization type 'int4'; expected one of int8
let q = quantize(load_model("m.mpk"), "int4")
