# quantize.m: train on digits, quantize in the three int8 modes, and compare accuracy and
# package size with the float32 model.
model Classifier(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)

    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x / 16.0)))
    }
}

seed(0)
let (train, test) = split(dataset("digits"), 0.8)
let net = Classifier(64, 256, 10)
fit(net, train, epochs=15, lr=0.002)
save(net, "quantize-f32.mpk")
let f32_size = file_size("quantize-f32.mpk")
print("f32 accuracy:", evaluate(net, test))
print("f32 package bytes:", f32_size)

# Weights only: int8 weights, dequantized in the matmul.
let weight = quantize(net, "int8")
save(weight, "quantize-weight.mpk")
print("int8 weight-only accuracy:", evaluate(weight, test))
print("int8 weight-only package bytes:", file_size("quantize-weight.mpk"),
      "ratio:", file_size("quantize-weight.mpk") / f32_size)

# Dynamic: activations quantized per row at run time, int8 x int8 products.
let dynamic = quantize(net, "int8", mode="dynamic")
save(dynamic, "quantize-dynamic.mpk")
print("int8 dynamic accuracy:", evaluate(dynamic, test))
print("int8 dynamic package bytes:", file_size("quantize-dynamic.mpk"),
      "ratio:", file_size("quantize-dynamic.mpk") / f32_size)

# Static: activation scales fixed by running a calibration set.
let static = quantize(net, "int8", mode="static", calibrate=train[0:256])
save(static, "quantize-static.mpk")
print("int8 static accuracy:", evaluate(static, test))
print("int8 static package bytes:", file_size("quantize-static.mpk"),
      "ratio:", file_size("quantize-static.mpk") / f32_size)
summary(static)
