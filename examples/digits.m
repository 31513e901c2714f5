# digits.m: train a classifier on 8x8 handwritten digits, then quantize and save it.
model Classifier(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)

    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x)))
    }
}

seed(0)
let data = dataset("digits")
let (train, test) = split(data, 0.8)
let net = Classifier(64, 128, 10)
fit(net, train, epochs=20, lr=0.001)
print("fp32 accuracy:", evaluate(net, test, metric="accuracy"))
let small = quantize(net, "int8")
print("int8 accuracy:", evaluate(small, test, metric="accuracy"))
save(small, "digits.mpk")
