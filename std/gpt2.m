# std.gpt2: GPT-2 (Radford et al., 2019) with Hugging Face's parameter names, so that a
# checkpoint `transformers` wrote loads with no renaming (`pretrained(PATH)` builds these
# models from the folder's config.json).
#
# Hyper-parameters are named as in GPT2Config (`n_inner` is 4 * n_embd where the config
# leaves it out). The models are causal language models: every method takes `input_ids`
# only, with no attention mask, so a batch is of sequences of one length (padded batches
# are not supported; M has no optional method parameters yet). Dropout is left out: it
# is the identity in evaluation.
#
# Besides `forward`, the language model has the key-value cache methods that `generate`
# calls, a convention every std causal language model shares:
#   prefill(input_ids: i64[N, T]) -> (logits of the last position [N, 1, vocab], keys, values)
#   decode(input_ids: i64[N, 1], position_ids: i64[N, 1], past_keys, past_values)
#       -> (logits [N, 1, vocab], keys, values)
# where `keys` and `values` are every layer's attention keys and values stacked on axis
# 0, [n_layer, N, n_head, P, n_embd / n_head] (P positions so far). `decode` appends the new
# token's keys and values (P + 1 positions out); the new token attends to every cached
# position and itself, so it needs no mask. P is a size known only at run time, so one
# compiled model serves every step.

# Hugging Face's Conv1D: a linear layer whose weight is stored [in, out] (GPT-2's
# original layout), so that x @ weight + bias needs no transposing.
model Conv1D(in_features: int, out_features: int) {
    param weight: f32[in_features, out_features] = randn([in_features, out_features]) * 0.02
    param bias: f32[out_features] = zeros([out_features])

    fn forward(x: f32[N, T, in_features]) -> f32[N, T, out_features] {
        return matmul(x, weight) + bias
    }
}

# Causal multi-head self-attention. One Conv1D projects to the queries, keys and values
# at once ([q | k | v] along the last axis); heads split each into n_head parts.
model GPT2Attention(n_embd: int, n_head: int) {
    c_attn = Conv1D(n_embd, 3 * n_embd)
    c_proj = Conv1D(n_embd, n_embd)

    # [N, T, n_embd] -> [N, n_head, T, head size]
    fn heads(x: f32[N, T, n_embd]) -> f32[N, H, T, D] {
        return transpose(reshape(x, [shape(x)[0], shape(x)[1], n_head, -1]), 1, 2)
    }

    # The queries, keys and values of every position, [N, n_head, T, head size] each.
    fn qkv(hidden_states: f32[N, T, n_embd]) -> (f32[N, H, T, D], f32[N, H, T, D],
                                                 f32[N, H, T, D]) {
        let (q, k, v) = chunk(c_attn(hidden_states), 3, axis=2)
        return (heads(q), heads(k), heads(v))
    }

    # The heads' outputs [N, n_head, T, head size] merged and projected: [N, T, n_embd].
    fn merge(y: f32[N, H, T, D]) -> f32[N, T, n_embd] {
        return c_proj(reshape(transpose(y, 1, 2), [shape(y)[0], shape(y)[2], n_embd]))
    }

    fn forward(hidden_states: f32[N, T, n_embd]) -> f32[N, T, n_embd] {
        let (q, k, v) = qkv(hidden_states)
        return merge(attention(q, k, v, causal=true))
    }

    # forward, and the keys and values to cache.
    fn prefill(hidden_states: f32[N, T, n_embd]) -> (f32[N, T, n_embd], f32[N, H, T, D],
                                                     f32[N, H, T, D]) {
        let (q, k, v) = qkv(hidden_states)
        return (merge(attention(q, k, v, causal=true)), k, v)
    }

    # One new position after P cached ones: it attends to all of them and itself.
    fn decode(hidden_states: f32[N, 1, n_embd], past_key: f32[N, H, P, D],
              past_value: f32[N, H, P, D]) -> (f32[N, 1, n_embd], f32[N, H, ?, D],
                                               f32[N, H, ?, D]) {
        let (q, k, v) = qkv(hidden_states)
        let keys = concat([past_key, k], axis=2)
        let values = concat([past_value, v], axis=2)
        return (merge(attention(q, keys, values)), keys, values)
    }
}

# The feed-forward network, with GPT-2's tanh approximation of GELU ("gelu_new").
model GPT2MLP(n_embd: int, n_inner: int) {
    c_fc = Conv1D(n_embd, n_inner)
    c_proj = Conv1D(n_inner, n_embd)

    fn forward(hidden_states: f32[N, T, n_embd]) -> f32[N, T, n_embd] {
        return c_proj(gelu(c_fc(hidden_states), approximate="tanh"))
    }
}

# One pre-norm transformer layer: x + attn(ln_1(x)), then h + mlp(ln_2(h)).
model GPT2Block(n_embd: int, n_head: int, n_inner: int, layer_norm_epsilon: float) {
    ln_1 = LayerNorm(n_embd, eps=layer_norm_epsilon)
    attn = GPT2Attention(n_embd, n_head)
    ln_2 = LayerNorm(n_embd, eps=layer_norm_epsilon)
    mlp = GPT2MLP(n_embd, n_inner)

    fn forward(hidden_states: f32[N, T, n_embd]) -> f32[N, T, n_embd] {
        let h = hidden_states + attn(ln_1(hidden_states))
        return h + mlp(ln_2(h))
    }

    fn prefill(hidden_states: f32[N, T, n_embd]) -> (f32[N, T, n_embd], f32[N, H, T, D],
                                                     f32[N, H, T, D]) {
        let (a, k, v) = attn.prefill(ln_1(hidden_states))
        let h = hidden_states + a
        return (h + mlp(ln_2(h)), k, v)
    }

    fn decode(hidden_states: f32[N, 1, n_embd], past_key: f32[N, H, P, D],
              past_value: f32[N, H, P, D]) -> (f32[N, 1, n_embd], f32[N, H, ?, D],
                                               f32[N, H, ?, D]) {
        let (a, k, v) = attn.decode(ln_1(hidden_states), past_key, past_value)
        let h = hidden_states + a
        return (h + mlp(ln_2(h)), k, v)
    }
}

# Token and position embeddings, the layers, and a final LayerNorm; forward returns the
# last hidden state [N, T, n_embd], as Hugging Face's `last_hidden_state`.
model GPT2Model(vocab_size: int, n_positions: int, n_embd: int, n_layer: int, n_head: int,
                n_inner: int, layer_norm_epsilon: float) {
    wte = Embedding(vocab_size, n_embd)
    wpe = Embedding(n_positions, n_embd)
    h = repeat(n_layer, GPT2Block(n_embd, n_head, n_inner, layer_norm_epsilon))
    ln_f = LayerNorm(n_embd, eps=layer_norm_epsilon)

    fn forward(input_ids: i64[N, T]) -> f32[N, T, n_embd] {
        let x = wte(input_ids) + wpe(arange(shape(input_ids)[1]))
        for block in h {
            x = block(x)
        }
        return ln_f(x)
    }

    # forward, and every layer's keys and values stacked: [n_layer, N, n_head, T, D].
    fn prefill(input_ids: i64[N, T]) -> (
            f32[N, T, n_embd], f32[n_layer, N, n_head, T, D], f32[n_layer, N, n_head, T, D]) {
        let x = wte(input_ids) + wpe(arange(shape(input_ids)[1]))
        let keys = []
        let values = []
        for block in h {
            let (y, k, v) = block.prefill(x)
            x = y
            keys = keys + [unsqueeze(k, 0)]
            values = values + [unsqueeze(v, 0)]
        }
        return (ln_f(x), concat(keys, axis=0), concat(values, axis=0))
    }

    # One new token per sequence at `position_ids` (P, the number of cached positions,
    # in a plain run), after the cached keys and values of P positions.
    fn decode(input_ids: i64[N, 1], position_ids: i64[N, 1],
              past_keys: f32[n_layer, N, n_head, P, D],
              past_values: f32[n_layer, N, n_head, P, D]) -> (
            f32[N, 1, n_embd], f32[n_layer, N, n_head, ?, ?], f32[n_layer, N, n_head, ?, ?]) {
        let x = wte(input_ids) + wpe(position_ids)
        let keys = []
        let values = []
        for i in 0..n_layer {
            let (y, k, v) = h[i].decode(x, past_keys[i], past_values[i])
            x = y
            keys = keys + [unsqueeze(k, 0)]
            values = values + [unsqueeze(v, 0)]
        }
        return (ln_f(x), concat(keys, axis=0), concat(values, axis=0))
    }
}

# GPT2Model and a language-model head tied to the token embedding (the checkpoint holds
# `wte` only; a config with tie_word_embeddings false has a head of its own): logits
# [N, T, vocab_size] for the next token at every position.
model GPT2LMHeadModel(vocab_size: int, n_positions: int, n_embd: int, n_layer: int,
                      n_head: int, n_inner: int, layer_norm_epsilon: float,
                      tie_word_embeddings: bool = true) {
    transformer = GPT2Model(vocab_size, n_positions, n_embd, n_layer, n_head, n_inner,
                            layer_norm_epsilon)
    lm_head = Linear(n_embd, vocab_size, bias=false)
    tie lm_head.weight = transformer.wte.weight if tie_word_embeddings

    fn forward(input_ids: i64[N, T]) -> f32[N, T, vocab_size] {
        return lm_head(transformer(input_ids))
    }

    # The logits of the last position only: all that generation needs (transformers'
    # `logits_to_keep=1`), sparing the head's product for every prompt position.
    fn prefill(input_ids: i64[N, T]) -> (
            f32[N, 1, vocab_size], f32[n_layer, N, n_head, T, D],
            f32[n_layer, N, n_head, T, D]) {
        let (hidden, keys, values) = transformer.prefill(input_ids)
        return (lm_head(hidden[:, -1:, :]), keys, values)
    }

    fn decode(input_ids: i64[N, 1], position_ids: i64[N, 1],
              past_keys: f32[n_layer, N, n_head, P, D],
              past_values: f32[n_layer, N, n_head, P, D]) -> (
            f32[N, 1, vocab_size], f32[n_layer, N, n_head, ?, ?],
            f32[n_layer, N, n_head, ?, ?]) {
        let (hidden, keys, values) = transformer.decode(input_ids, position_ids, past_keys,
                                                        past_values)
        return (lm_head(hidden), keys, values)
    }
}
