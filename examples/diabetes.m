# diabetes.m: regression with the mean squared error; features and target are standardised
# inside the model, so the raw data set is used as it is.
model Regressor(features: int, hidden: int) {
    norm = LayerNorm(features)
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, 1)

    fn forward(x: f32[N, features]) -> f32[N, 1] {
        return fc2(silu(fc1(norm(x)))) * 100.0 + 150.0
    }
}

seed(0)
let (train, test) = split(dataset("diabetes"), 0.8)
let net = Regressor(10, 64)
fit(net, train, loss="mse", optimizer="adamw", lr=0.01, epochs=60, batch=32, weight_decay=0.01)
let mse = evaluate(net, test, metric="mse")
print("test mse:", mse)
print("test mae:", evaluate(net, test, metric="mae"))
print("rmse below 70:", sqrt(mse) < 70.0)
