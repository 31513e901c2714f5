# transformer.m: a small pre-norm transformer encoder that reads each 8x8 digit as a
# sequence of 8 tokens of 8 pixels and classifies it.
model Block(dim: int, heads: int) {
    ln1 = LayerNorm(dim)
    attn = Attention(dim, heads)
    ln2 = LayerNorm(dim)
    up = Linear(dim, 4 * dim)
    down = Linear(4 * dim, dim)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let h = x + attn(ln1(x))
        return h + down(gelu(up(ln2(h))))
    }
}

model Encoder(tokens: int, width: int, dim: int, heads: int, depth: int, classes: int) {
    embed = Linear(width, dim)
    pos = Embedding(tokens, dim)
    blocks = repeat(depth, Block(dim, heads))
    norm = LayerNorm(dim)
    head = Linear(dim, classes)

    fn forward(x: f32[N, features]) -> f32[N, classes] {
        let seq = reshape(x / 16.0, [-1, tokens, width])
        let h = embed(seq) + pos(arange(tokens))
        for b in blocks {
            h = b(h)
        }
        return head(mean(norm(h), axis=1))
    }
}

seed(0)
let (train, test) = split(dataset("digits"), 0.8)
let net = Encoder(8, 8, 32, 4, 2, 10)
fit(net, train, epochs=12, lr=0.003, batch=32)
print("accuracy:", evaluate(net, test))
print("parameters:", params(net))
