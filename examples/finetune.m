# finetune.m: pretrain on digits, save, reload into a fresh model and fine-tune only the
# head with the body frozen.
model Net(hidden: int) {
    body = Linear(64, hidden)
    head = Linear(hidden, 10)

    fn forward(x: f32[N, 64]) -> f32[N, 10] {
        return head(relu(body(x / 16.0)))
    }
}

seed(0)
let (train, test) = split(dataset("digits"), 0.5)
let (small, rest) = split(test, 0.2)
let base = Net(64)
fit(base, train, epochs=10, lr=0.003)
save(base, "finetune-base.mpk")
print("pretrained:", evaluate(base, rest))

let tuned = load_model("finetune-base.mpk")
print("reloaded:", evaluate(tuned, rest))
fit(tuned, small, epochs=20, lr=0.001, freeze=["body"])
print("fine-tuned:", evaluate(tuned, rest))
