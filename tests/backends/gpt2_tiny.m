# A tiny GPT-2 written by hand in Hugging Face's layout (GPT2LMHeadModel), so that the
# model.safetensors that `save_pretrained` writes loads unchanged: `lm_head` is tied to
# `wte` (the file lacks it) and the Conv1D weights, stored [in, out], load into Linear
# layers through `load_weights(..., transpose=[...])`.

model Attention(dim: int, heads: int) {
    c_attn = Linear(dim, 3 * dim)
    c_proj = Linear(dim, dim)

    fn split(x: f32[N, T, dim]) -> f32[N, H, T, D] {
        return transpose(reshape(x, [shape(x)[0], shape(x)[1], heads, -1]), 1, 2)
    }

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let (q, k, v) = chunk(c_attn(x), 3, axis=2)
        let y = attention(split(q), split(k), split(v), causal=true)
        return c_proj(reshape(transpose(y, 1, 2), [shape(x)[0], shape(x)[1], dim]))
    }
}

model Mlp(dim: int) {
    c_fc = Linear(dim, 4 * dim)
    c_proj = Linear(4 * dim, dim)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return c_proj(gelu(c_fc(x), approximate="tanh"))
    }
}

model Block(dim: int, heads: int) {
    ln_1 = LayerNorm(dim, eps=1e-5)
    attn = Attention(dim, heads)
    ln_2 = LayerNorm(dim, eps=1e-5)
    mlp = Mlp(dim)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let h = x + attn(ln_1(x))
        return h + mlp(ln_2(h))
    }
}

model Transformer(vocab: int, ctx: int, dim: int, layers: int, heads: int) {
    wte = Embedding(vocab, dim)
    wpe = Embedding(ctx, dim)
    h = repeat(layers, Block(dim, heads))
    ln_f = LayerNorm(dim, eps=1e-5)

    fn forward(ids: i64[N, T]) -> f32[N, T, dim] {
        let x = wte(ids) + wpe(arange(shape(ids)[1]))
        for block in h {
            x = block(x)
        }
        return ln_f(x)
    }
}

model GPT2LMHeadModel(vocab: int, ctx: int, dim: int, layers: int, heads: int) {
    transformer = Transformer(vocab, ctx, dim, layers, heads)
    lm_head = Linear(dim, vocab, bias=false)
    tie lm_head.weight = transformer.wte.weight

    fn forward(ids: i64[N, T]) -> f32[N, T, vocab] {
        return lm_head(transformer(ids))
    }
}
