# finetune_schedule.m: train with validation, linear warmup and decay, gradient clipping
# and early stopping in one fit call; log each epoch to a CSV file and draw the curves.
model Net(hidden: int) {
    body = Linear(64, hidden)
    head = Linear(hidden, 10)

    fn forward(x: f32[N, 64]) -> f32[N, 10] {
        return head(relu(body(x / 16.0)))
    }
}

seed(0)
let (train, test) = split(dataset("digits"), 0.8)
let (fit_rows, val) = split(train, 0.8)
let net = Net(64)
fit(net, fit_rows, epochs=12, lr=0.003, val=val, patience=3, schedule="linear", warmup=20,
    clip=1.0, log="finetune-log.csv")
plot("finetune-log.csv", "finetune-curves.png")
print("test accuracy:", evaluate(net, test))
