# RUN: mopt %s | filecheck %s

# `generate`: ids in, ids out (one more run-time size); options given are operands, those
# left out are absent (the runtime applies the defaults); with a tokenizer, text in and
# out, a string for a string and a list for a list.

model LM(vocab: int, dim: int) {
    wte = Embedding(vocab, dim)
    head = Linear(dim, vocab)

    fn forward(ids: i64[N, T]) -> f32[N, T, vocab] {
        return head(wte(ids))
    }
}

let net = LM(16, 8)
let ids = tensor([[1, 2, 3]])
let greedy = generate(net, ids)
let sampled = generate(net, ids, max_new=4, temperature=0.7, top_k=5, top_p=0.9, eos=2,
                       seed=1)
let tok = tokenizer("tok.json")
let one = generate(net, tok, "a prompt", max_new=3)
let many = generate(net, tok, ["a b", "c d"])

# CHECK-LABEL: func.func @main
# CHECK:      model.generate %{{.*}}, %{{.*}} : !model.model<"LM_16_8">, tensor<1x3xi64> -> tensor<1x?xi64>
# CHECK:      model.generate %{{.*}}, %{{.*}} max_new(%{{.*}} : i64) temperature(%{{.*}} : f64) top_k(%{{.*}} : i64) top_p(%{{.*}} : f64) eos(%{{.*}} : i64) seed(%{{.*}} : i64) : !model.model<"LM_16_8">, tensor<1x3xi64> -> tensor<1x?xi64>
# CHECK:      model.generate %{{.*}}, %{{.*}} text(%{{.*}} : !model.str) max_new(%{{.*}} : i64) : !model.model<"LM_16_8">, !model.tokenizer -> !model.str
# CHECK:      model.generate %{{.*}}, %{{.*}} text(%{{.*}} : !model.list<!model.str>) : !model.model<"LM_16_8">, !model.tokenizer -> !model.list<!model.str>
