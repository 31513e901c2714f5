# std.bert: BERT (Devlin et al., 2019) with Hugging Face's parameter names, so that a
# checkpoint `transformers` wrote loads with no renaming (`pretrained(PATH)` builds these
# models from the folder's config.json).
#
# Hyper-parameters are named as in BertConfig. Every forward takes Hugging Face's
# `input_ids`, `attention_mask` (1 = a token, 0 = padding) and `token_type_ids`, all of
# shape [N, T]; M has no optional method parameters yet, so all three are required.
# Dropout is left out: it is the identity in evaluation, and fine-tuning here runs without.

# Token, position and token-type embeddings, summed and normalised.
model BertEmbeddings(vocab_size: int, hidden_size: int, max_position_embeddings: int,
                     type_vocab_size: int, layer_norm_eps: float) {
    word_embeddings = Embedding(vocab_size, hidden_size)
    position_embeddings = Embedding(max_position_embeddings, hidden_size)
    token_type_embeddings = Embedding(type_vocab_size, hidden_size)
    LayerNorm = LayerNorm(hidden_size, eps=layer_norm_eps)

    fn forward(input_ids: i64[N, T], token_type_ids: i64[N, T]) -> f32[N, T, hidden_size] {
        let positions = position_embeddings(arange(shape(input_ids)[1]))
        return LayerNorm(word_embeddings(input_ids) + positions
                         + token_type_embeddings(token_type_ids))
    }
}

# Multi-head scaled dot-product attention over the whole sequence; `mask` is additive,
# [N, 1, 1, T]: 0 where a key is a token, a large negative number where it is padding.
model BertSelfAttention(hidden_size: int, num_attention_heads: int) {
    query = Linear(hidden_size, hidden_size)
    key = Linear(hidden_size, hidden_size)
    value = Linear(hidden_size, hidden_size)

    # [N, T, hidden] -> [N, heads, T, head size]
    fn heads(x: f32[N, T, hidden_size]) -> f32[N, H, T, D] {
        let split = reshape(x, [shape(x)[0], shape(x)[1], num_attention_heads, -1])
        return transpose(split, 1, 2)
    }

    # To become `attention(q, k, v, mask=mask)` when that function lands.
    fn forward(hidden_states: f32[N, T, hidden_size],
               mask: f32[N, 1, 1, T]) -> f32[N, T, hidden_size] {
        let q = heads(query(hidden_states))
        let k = heads(key(hidden_states))
        let v = heads(value(hidden_states))
        let scale = sqrt(hidden_size / num_attention_heads)
        let probs = softmax(matmul(q, transpose(k, 2, 3)) / scale + mask, axis=-1)
        let context = transpose(matmul(probs, v), 1, 2)
        return reshape(context, [shape(hidden_states)[0], shape(hidden_states)[1], -1])
    }
}

# The projection after attention, added to its input and normalised.
model BertSelfOutput(hidden_size: int, layer_norm_eps: float) {
    dense = Linear(hidden_size, hidden_size)
    LayerNorm = LayerNorm(hidden_size, eps=layer_norm_eps)

    fn forward(hidden_states: f32[N, T, hidden_size], input_tensor: f32[N, T,
               hidden_size]) -> f32[N, T, hidden_size] {
        return LayerNorm(dense(hidden_states) + input_tensor)
    }
}

model BertAttention(hidden_size: int, num_attention_heads: int, layer_norm_eps: float) {
    self = BertSelfAttention(hidden_size, num_attention_heads)
    output = BertSelfOutput(hidden_size, layer_norm_eps)

    fn forward(hidden_states: f32[N, T, hidden_size],
               mask: f32[N, 1, 1, T]) -> f32[N, T, hidden_size] {
        return output(self(hidden_states, mask), hidden_states)
    }
}

# The feed-forward network's widening half, with BERT's exact (erf) GELU.
model BertIntermediate(hidden_size: int, intermediate_size: int) {
    dense = Linear(hidden_size, intermediate_size)

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, T, intermediate_size] {
        return gelu(dense(hidden_states))
    }
}

model BertOutput(hidden_size: int, intermediate_size: int, layer_norm_eps: float) {
    dense = Linear(intermediate_size, hidden_size)
    LayerNorm = LayerNorm(hidden_size, eps=layer_norm_eps)

    fn forward(hidden_states: f32[N, T, intermediate_size],
               input_tensor: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        return LayerNorm(dense(hidden_states) + input_tensor)
    }
}

# One post-norm transformer layer: attention, then the feed-forward network.
model BertLayer(hidden_size: int, num_attention_heads: int, intermediate_size: int,
                layer_norm_eps: float) {
    attention = BertAttention(hidden_size, num_attention_heads, layer_norm_eps)
    intermediate = BertIntermediate(hidden_size, intermediate_size)
    output = BertOutput(hidden_size, intermediate_size, layer_norm_eps)

    fn forward(hidden_states: f32[N, T, hidden_size],
               mask: f32[N, 1, 1, T]) -> f32[N, T, hidden_size] {
        let h = attention(hidden_states, mask)
        return output(intermediate(h), h)
    }
}

model BertEncoder(num_hidden_layers: int, hidden_size: int, num_attention_heads: int,
                  intermediate_size: int, layer_norm_eps: float) {
    layer = repeat(num_hidden_layers, BertLayer(hidden_size, num_attention_heads,
                                                intermediate_size, layer_norm_eps))

    fn forward(hidden_states: f32[N, T, hidden_size], attention_mask: i64[N, T]) -> f32[N, T,
               hidden_size] {
        # Hugging Face's extended mask: padding keys get the most negative float32.
        let keep = reshape(cast(attention_mask, f32), [shape(attention_mask)[0], 1, 1, -1])
        let mask = (1.0 - keep) * -3.4028234663852886e38
        let h = hidden_states
        for block in layer {
            h = block(h, mask)
        }
        return h
    }
}

# The first token's hidden state through a dense layer and tanh.
model BertPooler(hidden_size: int) {
    dense = Linear(hidden_size, hidden_size)

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, hidden_size] {
        return tanh(dense(hidden_states[:, 0, :]))
    }
}

# BertModel(config, add_pooling_layer=False): what the token-level heads use.
model BertModelWithoutPooler(vocab_size: int, hidden_size: int, num_hidden_layers: int,
                             num_attention_heads: int, intermediate_size: int,
                             max_position_embeddings: int, type_vocab_size: int,
                             layer_norm_eps: float) {
    embeddings = BertEmbeddings(vocab_size, hidden_size, max_position_embeddings,
                                type_vocab_size, layer_norm_eps)
    encoder = BertEncoder(num_hidden_layers, hidden_size, num_attention_heads,
                          intermediate_size, layer_norm_eps)

    fn forward(input_ids: i64[N, T], attention_mask: i64[N, T],
               token_type_ids: i64[N, T]) -> f32[N, T, hidden_size] {
        return encoder(embeddings(input_ids, token_type_ids), attention_mask)
    }
}

# The encoder and its pooler; forward returns the last hidden state, as Hugging Face's
# `last_hidden_state`, and `pooled` the pooler's output.
model BertModel(vocab_size: int, hidden_size: int, num_hidden_layers: int,
                num_attention_heads: int, intermediate_size: int,
                max_position_embeddings: int, type_vocab_size: int, layer_norm_eps: float) {
    embeddings = BertEmbeddings(vocab_size, hidden_size, max_position_embeddings,
                                type_vocab_size, layer_norm_eps)
    encoder = BertEncoder(num_hidden_layers, hidden_size, num_attention_heads,
                          intermediate_size, layer_norm_eps)
    pooler = BertPooler(hidden_size)

    fn forward(input_ids: i64[N, T], attention_mask: i64[N, T],
               token_type_ids: i64[N, T]) -> f32[N, T, hidden_size] {
        return encoder(embeddings(input_ids, token_type_ids), attention_mask)
    }

    fn pooled(input_ids: i64[N, T], attention_mask: i64[N, T],
              token_type_ids: i64[N, T]) -> f32[N, hidden_size] {
        return pooler(forward(input_ids, attention_mask, token_type_ids))
    }
}

# A class per sequence, from the pooled first token: logits [N, num_labels].
model BertForSequenceClassification(vocab_size: int, hidden_size: int,
                                    num_hidden_layers: int, num_attention_heads: int,
                                    intermediate_size: int, max_position_embeddings: int,
                                    type_vocab_size: int, layer_norm_eps: float,
                                    num_labels: int) {
    bert = BertModel(vocab_size, hidden_size, num_hidden_layers, num_attention_heads,
                     intermediate_size, max_position_embeddings, type_vocab_size,
                     layer_norm_eps)
    classifier = Linear(hidden_size, num_labels)

    fn forward(input_ids: i64[N, T], attention_mask: i64[N, T],
               token_type_ids: i64[N, T]) -> f32[N, num_labels] {
        return classifier(bert.pooled(input_ids, attention_mask, token_type_ids))
    }
}

# A class per token: logits [N, T, num_labels].
model BertForTokenClassification(vocab_size: int, hidden_size: int, num_hidden_layers: int,
                                 num_attention_heads: int, intermediate_size: int,
                                 max_position_embeddings: int, type_vocab_size: int,
                                 layer_norm_eps: float, num_labels: int) {
    bert = BertModelWithoutPooler(vocab_size, hidden_size, num_hidden_layers,
                                  num_attention_heads, intermediate_size,
                                  max_position_embeddings, type_vocab_size, layer_norm_eps)
    classifier = Linear(hidden_size, num_labels)

    fn forward(input_ids: i64[N, T], attention_mask: i64[N, T],
               token_type_ids: i64[N, T]) -> f32[N, T, num_labels] {
        return classifier(bert(input_ids, attention_mask, token_type_ids))
    }
}

# Extractive question answering: the start and end logits of the answer span, [N, T] each.
model BertForQuestionAnswering(vocab_size: int, hidden_size: int, num_hidden_layers: int,
                               num_attention_heads: int, intermediate_size: int,
                               max_position_embeddings: int, type_vocab_size: int,
                               layer_norm_eps: float, num_labels: int) {
    bert = BertModelWithoutPooler(vocab_size, hidden_size, num_hidden_layers,
                                  num_attention_heads, intermediate_size,
                                  max_position_embeddings, type_vocab_size, layer_norm_eps)
    qa_outputs = Linear(hidden_size, num_labels)

    fn forward(input_ids: i64[N, T], attention_mask: i64[N, T],
               token_type_ids: i64[N, T]) -> (f32[N, T], f32[N, T]) {
        let logits = qa_outputs(bert(input_ids, attention_mask, token_type_ids))
        return (logits[:, :, 0], logits[:, :, 1])
    }
}
