# std.llama: Llama (Touvron et al., 2023) with Hugging Face's parameter names, so that a
# checkpoint `transformers` wrote loads with no renaming (`pretrained(PATH)` builds these
# models from the folder's config.json). The same code runs Mistral and Qwen2 checkpoints,
# which differ from Llama only in settings: Qwen2 has biases on the query, key and value
# projections (`attention_bias`, with `o_proj_bias` false), Mistral a sliding attention
# window, which this module does not implement (`pretrained` refuses a window shorter
# than max_position_embeddings; a longer one never takes effect).
#
# A decoder-only transformer: token embeddings, then pre-norm layers of grouped-query
# self-attention with rotary position embeddings (`rope`) and a SiLU-gated feed-forward
# network, each added to its input, then a final RMSNorm. Hyper-parameters are named as
# in LlamaConfig; `head_dim` is given (hidden_size / num_attention_heads where the config
# has none), and `num_attention_heads` must be a multiple of `num_key_value_heads`.
# Dropout is left out (the identity in evaluation); so is padding: every forward takes
# `input_ids: i64[N, T]` of N sequences of T tokens, positions 0 .. T-1.
#
# The key-value cache. LlamaForCausalLM has, besides forward, the two methods a
# generation loop calls, prefill once and decode for every new token:
#   fn prefill(input_ids: i64[N, T]) -> (last logits f32[N, 1, vocab_size], keys, values)
#   fn decode(input_ids: i64[N, 1], position_ids: i64[N, 1], past_keys, past_values)
#       -> (logits f32[N, 1, vocab_size], keys, values)
# keys and values hold every layer's keys and values (after `rope`, before the grouped
# heads are shared), stacked on axis 0: [num_hidden_layers, N, num_key_value_heads, P,
# head_dim] for P positions. decode's new token attends to the P cached positions and
# to itself, and returns the cache grown to P + 1; P is a size known only at run time, so
# one compiled model serves every step.

# Grouped-query self-attention: `num_attention_heads` query heads share
# `num_key_value_heads` key/value heads, `attention` pairing query head h with key/value
# head h // (num_attention_heads / num_key_value_heads).
model LlamaAttention(hidden_size: int, num_attention_heads: int, num_key_value_heads: int,
                     head_dim: int, rope_theta: float, attention_bias: bool,
                     o_proj_bias: bool) {
    q_proj = Linear(hidden_size, num_attention_heads * head_dim, bias=attention_bias)
    k_proj = Linear(hidden_size, num_key_value_heads * head_dim, bias=attention_bias)
    v_proj = Linear(hidden_size, num_key_value_heads * head_dim, bias=attention_bias)
    o_proj = Linear(num_attention_heads * head_dim, hidden_size, bias=o_proj_bias)

    # [N, T, heads * head_dim] -> [N, heads, T, head_dim]
    fn heads(x: f32[N, T, W], count: int) -> f32[N, H, T, head_dim] {
        return transpose(reshape(x, [shape(x)[0], shape(x)[1], count, head_dim]), 1, 2)
    }

    # Queries, keys and values of the tokens at `position_ids` ([N, T], or [1, T] for
    # every sequence), queries and keys rotated.
    fn project(hidden_states: f32[N, T, hidden_size], position_ids: i64[B, T]) -> (
            f32[N, num_attention_heads, T, head_dim],
            f32[N, num_key_value_heads, T, head_dim],
            f32[N, num_key_value_heads, T, head_dim]) {
        let q = rope(heads(q_proj(hidden_states), num_attention_heads), position_ids,
                     theta=rope_theta)
        let k = rope(heads(k_proj(hidden_states), num_key_value_heads), position_ids,
                     theta=rope_theta)
        return (q, k, heads(v_proj(hidden_states), num_key_value_heads))
    }

    # The heads' outputs [N, heads, T, head_dim] joined and projected back.
    fn output(context: f32[N, H, T, head_dim]) -> f32[N, T, hidden_size] {
        let joined = transpose(context, 1, 2)
        return o_proj(reshape(joined, [shape(joined)[0], shape(joined)[1], -1]))
    }

    # Causal attention over the sequence; also returns its keys and values.
    fn prefill(hidden_states: f32[N, T, hidden_size], position_ids: i64[B, T]) -> (
            f32[N, T, hidden_size], f32[N, num_key_value_heads, T, head_dim],
            f32[N, num_key_value_heads, T, head_dim]) {
        let (q, k, v) = project(hidden_states, position_ids)
        return (output(attention(q, k, v, causal=true)), k, v)
    }

    # One new token [N, 1, hidden] attending to the cached keys and values and itself.
    fn decode(hidden_states: f32[N, 1, hidden_size], position_ids: i64[N, 1],
              past_key: f32[N, num_key_value_heads, P, head_dim],
              past_value: f32[N, num_key_value_heads, P, head_dim]) -> (
            f32[N, 1, hidden_size], f32[N, num_key_value_heads, ?, head_dim],
            f32[N, num_key_value_heads, ?, head_dim]) {
        let (q, k, v) = project(hidden_states, position_ids)
        let keys = concat([past_key, k], axis=2)
        let values = concat([past_value, v], axis=2)
        return (output(attention(q, keys, values)), keys, values)
    }

    fn forward(hidden_states: f32[N, T, hidden_size],
               position_ids: i64[B, T]) -> f32[N, T, hidden_size] {
        let (y, k, v) = prefill(hidden_states, position_ids)
        return y
    }
}

# The feed-forward network: down(silu(gate(x)) * up(x)).
model LlamaMLP(hidden_size: int, intermediate_size: int, mlp_bias: bool) {
    gate_proj = Linear(hidden_size, intermediate_size, bias=mlp_bias)
    up_proj = Linear(hidden_size, intermediate_size, bias=mlp_bias)
    down_proj = Linear(intermediate_size, hidden_size, bias=mlp_bias)

    fn forward(x: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        return down_proj(silu(gate_proj(x)) * up_proj(x))
    }
}

# One pre-norm layer: h = x + attention(norm(x)), then h + mlp(norm(h)).
model LlamaDecoderLayer(hidden_size: int, intermediate_size: int, num_attention_heads: int,
                        num_key_value_heads: int, head_dim: int, rms_norm_eps: float,
                        rope_theta: float, attention_bias: bool, o_proj_bias: bool,
                        mlp_bias: bool) {
    self_attn = LlamaAttention(hidden_size, num_attention_heads, num_key_value_heads,
                               head_dim, rope_theta, attention_bias, o_proj_bias)
    mlp = LlamaMLP(hidden_size, intermediate_size, mlp_bias)
    input_layernorm = RMSNorm(hidden_size, eps=rms_norm_eps)
    post_attention_layernorm = RMSNorm(hidden_size, eps=rms_norm_eps)

    fn feed_forward(h: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        return h + mlp(post_attention_layernorm(h))
    }

    fn prefill(hidden_states: f32[N, T, hidden_size], position_ids: i64[B, T]) -> (
            f32[N, T, hidden_size], f32[N, num_key_value_heads, T, head_dim],
            f32[N, num_key_value_heads, T, head_dim]) {
        let (a, k, v) = self_attn.prefill(input_layernorm(hidden_states), position_ids)
        return (feed_forward(hidden_states + a), k, v)
    }

    fn decode(hidden_states: f32[N, 1, hidden_size], position_ids: i64[N, 1],
              past_key: f32[N, num_key_value_heads, P, head_dim],
              past_value: f32[N, num_key_value_heads, P, head_dim]) -> (
            f32[N, 1, hidden_size], f32[N, num_key_value_heads, ?, head_dim],
            f32[N, num_key_value_heads, ?, head_dim]) {
        let (a, k, v) = self_attn.decode(input_layernorm(hidden_states), position_ids,
                                         past_key, past_value)
        return (feed_forward(hidden_states + a), k, v)
    }

    fn forward(hidden_states: f32[N, T, hidden_size],
               position_ids: i64[B, T]) -> f32[N, T, hidden_size] {
        let (y, k, v) = prefill(hidden_states, position_ids)
        return y
    }
}

# The decoder: forward returns the last hidden state (Hugging Face's
# `last_hidden_state`); prefill and decode also return the stacked key-value cache.
model LlamaModel(vocab_size: int, hidden_size: int, intermediate_size: int,
                 num_hidden_layers: int, num_attention_heads: int, num_key_value_heads: int,
                 head_dim: int, rms_norm_eps: float, rope_theta: float,
                 attention_bias: bool, o_proj_bias: bool, mlp_bias: bool) {
    embed_tokens = Embedding(vocab_size, hidden_size)
    layers = repeat(num_hidden_layers, LlamaDecoderLayer(
        hidden_size, intermediate_size, num_attention_heads, num_key_value_heads, head_dim,
        rms_norm_eps, rope_theta, attention_bias, o_proj_bias, mlp_bias))
    norm = RMSNorm(hidden_size, eps=rms_norm_eps)

    fn prefill(input_ids: i64[N, T]) -> (
            f32[N, T, hidden_size],
            f32[num_hidden_layers, N, num_key_value_heads, T, head_dim],
            f32[num_hidden_layers, N, num_key_value_heads, T, head_dim]) {
        let position_ids = unsqueeze(arange(shape(input_ids)[1]), 0)
        let h = embed_tokens(input_ids)
        let keys = []
        let values = []
        for layer in layers {
            let (y, k, v) = layer.prefill(h, position_ids)
            h = y
            keys = keys + [unsqueeze(k, 0)]
            values = values + [unsqueeze(v, 0)]
        }
        return (norm(h), concat(keys, axis=0), concat(values, axis=0))
    }

    fn decode(input_ids: i64[N, 1], position_ids: i64[N, 1],
              past_keys: f32[num_hidden_layers, N, num_key_value_heads, P, head_dim],
              past_values: f32[num_hidden_layers, N, num_key_value_heads, P, head_dim]) -> (
            f32[N, 1, hidden_size],
            f32[num_hidden_layers, N, num_key_value_heads, ?, head_dim],
            f32[num_hidden_layers, N, num_key_value_heads, ?, head_dim]) {
        let h = embed_tokens(input_ids)
        let keys = []
        let values = []
        for i in 0..num_hidden_layers {
            let (y, k, v) = layers[i].decode(h, position_ids, past_keys[i], past_values[i])
            h = y
            keys = keys + [unsqueeze(k, 0)]
            values = values + [unsqueeze(v, 0)]
        }
        return (norm(h), concat(keys, axis=0), concat(values, axis=0))
    }

    fn forward(input_ids: i64[N, T]) -> f32[N, T, hidden_size] {
        let (h, keys, values) = prefill(input_ids)
        return h
    }
}

# The decoder and a language-modelling head: logits over the vocabulary at every
# position. With `tie_word_embeddings` the head is the token embedding matrix.
model LlamaForCausalLM(vocab_size: int, hidden_size: int, intermediate_size: int,
                       num_hidden_layers: int, num_attention_heads: int,
                       num_key_value_heads: int, head_dim: int, rms_norm_eps: float,
                       rope_theta: float, attention_bias: bool, o_proj_bias: bool,
                       mlp_bias: bool, tie_word_embeddings: bool) {
    model = LlamaModel(vocab_size, hidden_size, intermediate_size, num_hidden_layers,
                       num_attention_heads, num_key_value_heads, head_dim, rms_norm_eps,
                       rope_theta, attention_bias, o_proj_bias, mlp_bias)
    lm_head = Linear(hidden_size, vocab_size, bias=false)
    tie lm_head.weight = model.embed_tokens.weight if tie_word_embeddings

    # The logits of the last position only: all that generation needs (transformers'
    # `logits_to_keep=1`), sparing the head's product for every prompt position.
    fn prefill(input_ids: i64[N, T]) -> (
            f32[N, 1, vocab_size],
            f32[num_hidden_layers, N, num_key_value_heads, T, head_dim],
            f32[num_hidden_layers, N, num_key_value_heads, T, head_dim]) {
        let (h, keys, values) = model.prefill(input_ids)
        return (lm_head(h[:, -1:, :]), keys, values)
    }

    fn decode(input_ids: i64[N, 1], position_ids: i64[N, 1],
              past_keys: f32[num_hidden_layers, N, num_key_value_heads, P, head_dim],
              past_values: f32[num_hidden_layers, N, num_key_value_heads, P, head_dim]) -> (
            f32[N, 1, vocab_size],
            f32[num_hidden_layers, N, num_key_value_heads, ?, head_dim],
            f32[num_hidden_layers, N, num_key_value_heads, ?, head_dim]) {
        let (h, keys, values) = model.decode(input_ids, position_ids, past_keys, past_values)
        return (lm_head(h), keys, values)
    }

    fn forward(input_ids: i64[N, T]) -> f32[N, T, vocab_size] {
        return lm_head(model(input_ids))
    }
}
