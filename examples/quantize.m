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
print("f32 accuracy:", evaluate(net, test))

let weight = quantize(net, "int8")
save(weight, "quantize-weight.mpk")
print("int8 weight-only accuracy:", evaluate(weight, test))

let dynamic = quantize(net, "int8", mode="dynamic")
save(dynamic, "quantize-dynamic.mpk")
print("int8 dynamic accuracy:", evaluate(dynamic, test))

let static = quantize(net, "int8", mode="static", calibrate=train[0:256])
save(static, "quantize-static.mpk")
print("int8 static accuracy:", evaluate(static, test))
summary(static)
