# iris.m: a small sequential classifier on the iris flowers, with a summary and macro f1.
model Mlp(d: int, hidden: int, classes: int) =
    Linear(d, hidden) |> gelu |> Dropout(0.1) |> Linear(hidden, classes)

seed(1)
let (train, test) = split(dataset("iris"), 0.8)
let net = Mlp(4, 32, 3)
summary(net)
let loss = fit(net, train, epochs=60, lr=0.01, batch=16)
print("final loss:", loss)
print("accuracy:", evaluate(net, test))
print("macro f1:", evaluate(net, test, metric="f1"))
print("parameters:", params(net))
