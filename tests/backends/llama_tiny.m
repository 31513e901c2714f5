# A tiny Llama written by hand in Hugging Face's layout (LlamaForCausalLM), so that the
# model.safetensors that `save_pretrained` writes loads with no renaming: the base model
# sits in a field named `model` (the file's `model.` prefix), rotary embeddings are
# `rope`, and the grouped-query heads (4 query heads, 2 key/value heads) go to
# `attention` as they are.

model Attention(dim: int, heads: int, kv_heads: int) {
    q_proj = Linear(dim, dim, bias=false)
    k_proj = Linear(dim, dim / heads * kv_heads, bias=false)
    v_proj = Linear(dim, dim / heads * kv_heads, bias=false)
    o_proj = Linear(dim, dim, bias=false)

    fn split(x: f32[N, T, W], count: int) -> f32[N, H, T, D] {
        return transpose(reshape(x, [shape(x)[0], shape(x)[1], count, dim / heads]), 1, 2)
    }

    fn forward(x: f32[N, T, dim], positions: i64[T]) -> f32[N, T, dim] {
        let q = rope(split(q_proj(x), heads), positions)
        let k = rope(split(k_proj(x), kv_heads), positions)
        let y = attention(q, k, split(v_proj(x), kv_heads), causal=true)
        return o_proj(reshape(transpose(y, 1, 2), [shape(x)[0], shape(x)[1], dim]))
    }
}

model Mlp(dim: int, hidden: int) {
    gate_proj = Linear(dim, hidden, bias=false)
    up_proj = Linear(dim, hidden, bias=false)
    down_proj = Linear(hidden, dim, bias=false)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return down_proj(silu(gate_proj(x)) * up_proj(x))
    }
}

model Layer(dim: int, heads: int, kv_heads: int, hidden: int) {
    self_attn = Attention(dim, heads, kv_heads)
    mlp = Mlp(dim, hidden)
    input_layernorm = RMSNorm(dim, eps=1e-6)
    post_attention_layernorm = RMSNorm(dim, eps=1e-6)

    fn forward(x: f32[N, T, dim], positions: i64[T]) -> f32[N, T, dim] {
        let h = x + self_attn(input_layernorm(x), positions)
        return h + mlp(post_attention_layernorm(h))
    }
}

model Llama(vocab: int, dim: int, layers_count: int, heads: int, kv_heads: int, hidden: int) {
    embed_tokens = Embedding(vocab, dim)
    layers = repeat(layers_count, Layer(dim, heads, kv_heads, hidden))
    norm = RMSNorm(dim, eps=1e-6)

    fn forward(ids: i64[N, T]) -> f32[N, T, dim] {
        let positions = arange(shape(ids)[1])
        let h = embed_tokens(ids)
        for layer in layers {
            h = layer(h, positions)
        }
        return norm(h)
    }
}

model TinyLlama(vocab: int, dim: int, layers_count: int, heads: int, kv_heads: int,
                hidden: int) {
    model = Llama(vocab, dim, layers_count, heads, kv_heads, hidden)
    lm_head = Linear(dim, vocab, bias=false)

    fn forward(ids: i64[N, T]) -> f32[N, T, vocab] {
        return lm_head(model(ids))
    }
}
