# std.vit: the Vision Transformer (Dosovitskiy et al., 2021) with Hugging Face's parameter
# names, so that a checkpoint `transformers` wrote loads with no renaming (`pretrained(PATH)`
# builds these models from the folder's config.json).
#
# Hyper-parameters are named as in ViTConfig. Every forward takes Hugging Face's
# `pixel_values`, [N, num_channels, image_size, image_size] (the size the position
# embeddings were trained for; no interpolation). Dropout is left out: it is the identity
# in evaluation.

# The image cut into patch_size x patch_size squares, each projected to hidden_size by one
# strided convolution: [N, C, H, W] -> [N, patches, hidden].
model ViTPatchEmbeddings(num_channels: int, hidden_size: int, patch_size: int) {
    projection = Conv2d(num_channels, hidden_size, patch_size, stride=patch_size)

    fn forward(pixel_values: f32[N, num_channels, H, W]) -> f32[N, ?, hidden_size] {
        let maps = projection(pixel_values)
        return transpose(reshape(maps, [shape(maps)[0], hidden_size, -1]), 1, 2)
    }
}

# A learnt [CLS] token before the patches, then learnt position embeddings added:
# [N, 1 + patches, hidden]. Both are raw parameters, as in Hugging Face's ViTEmbeddings.
model ViTEmbeddings(num_channels: int, hidden_size: int, patch_size: int,
                    num_positions: int) {
    param cls_token: f32[1, 1, hidden_size] = randn([1, 1, hidden_size]) * 0.02
    param position_embeddings: f32[1, num_positions, hidden_size] =
        randn([1, num_positions, hidden_size]) * 0.02
    patch_embeddings = ViTPatchEmbeddings(num_channels, hidden_size, patch_size)

    fn forward(pixel_values: f32[N, num_channels, H, W]) -> f32[N, num_positions,
               hidden_size] {
        # The token broadcast over the batch (`expand` takes sizes known at compile time).
        let cls = cls_token + zeros([shape(pixel_values)[0], 1, hidden_size])
        return concat([cls, patch_embeddings(pixel_values)], axis=1) + position_embeddings
    }
}

# Multi-head scaled dot-product attention over every token (no mask: every image has all
# its patches).
model ViTSelfAttention(hidden_size: int, num_attention_heads: int, qkv_bias: bool) {
    query = Linear(hidden_size, hidden_size, bias=qkv_bias)
    key = Linear(hidden_size, hidden_size, bias=qkv_bias)
    value = Linear(hidden_size, hidden_size, bias=qkv_bias)

    # [N, T, hidden] -> [N, heads, T, head size]
    fn heads(x: f32[N, T, hidden_size]) -> f32[N, H, T, D] {
        let split = reshape(x, [shape(x)[0], shape(x)[1], num_attention_heads,
                                hidden_size / num_attention_heads])
        return transpose(split, 1, 2)
    }

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        let context = attention(heads(query(hidden_states)), heads(key(hidden_states)),
                                heads(value(hidden_states)))
        return reshape(transpose(context, 1, 2),
                       [shape(hidden_states)[0], shape(hidden_states)[1], -1])
    }
}

# The projection after attention (the residual is added by the layer).
model ViTSelfOutput(hidden_size: int) {
    dense = Linear(hidden_size, hidden_size)

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        return dense(hidden_states)
    }
}

model ViTAttention(hidden_size: int, num_attention_heads: int, qkv_bias: bool) {
    attention = ViTSelfAttention(hidden_size, num_attention_heads, qkv_bias)
    output = ViTSelfOutput(hidden_size)

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        return output(attention(hidden_states))
    }
}

# The feed-forward network's widening half, with the exact (erf) GELU.
model ViTIntermediate(hidden_size: int, intermediate_size: int) {
    dense = Linear(hidden_size, intermediate_size)

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, T, intermediate_size] {
        return gelu(dense(hidden_states))
    }
}

# The feed-forward network's narrowing half, added to its input.
model ViTOutput(hidden_size: int, intermediate_size: int) {
    dense = Linear(intermediate_size, hidden_size)

    fn forward(hidden_states: f32[N, T, intermediate_size],
               input_tensor: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        return dense(hidden_states) + input_tensor
    }
}

# One pre-norm transformer layer: x + attention(norm(x)), then h + mlp(norm(h)).
model ViTLayer(hidden_size: int, num_attention_heads: int, intermediate_size: int,
               layer_norm_eps: float, qkv_bias: bool) {
    attention = ViTAttention(hidden_size, num_attention_heads, qkv_bias)
    intermediate = ViTIntermediate(hidden_size, intermediate_size)
    output = ViTOutput(hidden_size, intermediate_size)
    layernorm_before = LayerNorm(hidden_size, eps=layer_norm_eps)
    layernorm_after = LayerNorm(hidden_size, eps=layer_norm_eps)

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        let h = attention(layernorm_before(hidden_states)) + hidden_states
        return output(intermediate(layernorm_after(h)), h)
    }
}

model ViTEncoder(num_hidden_layers: int, hidden_size: int, num_attention_heads: int,
                 intermediate_size: int, layer_norm_eps: float, qkv_bias: bool) {
    layer = repeat(num_hidden_layers, ViTLayer(hidden_size, num_attention_heads,
                                               intermediate_size, layer_norm_eps, qkv_bias))

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, T, hidden_size] {
        let h = hidden_states
        for block in layer {
            h = block(h)
        }
        return h
    }
}

# The first ([CLS]) token's hidden state through a dense layer and tanh.
model ViTPooler(hidden_size: int) {
    dense = Linear(hidden_size, hidden_size)

    fn forward(hidden_states: f32[N, T, hidden_size]) -> f32[N, hidden_size] {
        return tanh(dense(hidden_states[:, 0, :]))
    }
}

# ViTModel(config, add_pooling_layer=False): what the classifier uses.
model ViTModelWithoutPooler(hidden_size: int, num_hidden_layers: int,
                            num_attention_heads: int, intermediate_size: int,
                            layer_norm_eps: float, image_size: int, patch_size: int,
                            num_channels: int, qkv_bias: bool) {
    embeddings = ViTEmbeddings(num_channels, hidden_size, patch_size,
                               (image_size / patch_size) * (image_size / patch_size) + 1)
    encoder = ViTEncoder(num_hidden_layers, hidden_size, num_attention_heads,
                         intermediate_size, layer_norm_eps, qkv_bias)
    layernorm = LayerNorm(hidden_size, eps=layer_norm_eps)

    fn forward(pixel_values: f32[N, num_channels, image_size, image_size]) -> f32[N, ?,
               hidden_size] {
        return layernorm(encoder(embeddings(pixel_values)))
    }
}

# The encoder and its pooler; forward returns the last hidden state, as Hugging Face's
# `last_hidden_state`, and `pooled` the pooler's output.
model ViTModel(hidden_size: int, num_hidden_layers: int, num_attention_heads: int,
               intermediate_size: int, layer_norm_eps: float, image_size: int,
               patch_size: int, num_channels: int, qkv_bias: bool) {
    embeddings = ViTEmbeddings(num_channels, hidden_size, patch_size,
                               (image_size / patch_size) * (image_size / patch_size) + 1)
    encoder = ViTEncoder(num_hidden_layers, hidden_size, num_attention_heads,
                         intermediate_size, layer_norm_eps, qkv_bias)
    layernorm = LayerNorm(hidden_size, eps=layer_norm_eps)
    pooler = ViTPooler(hidden_size)

    fn forward(pixel_values: f32[N, num_channels, image_size, image_size]) -> f32[N, ?,
               hidden_size] {
        return layernorm(encoder(embeddings(pixel_values)))
    }

    fn pooled(pixel_values: f32[N, num_channels, image_size, image_size]) -> f32[N,
              hidden_size] {
        return pooler(forward(pixel_values))
    }
}

# A class per image, from the final [CLS] token (not the pooler): logits [N, num_labels].
model ViTForImageClassification(hidden_size: int, num_hidden_layers: int,
                                num_attention_heads: int, intermediate_size: int,
                                layer_norm_eps: float, image_size: int, patch_size: int,
                                num_channels: int, qkv_bias: bool, num_labels: int) {
    vit = ViTModelWithoutPooler(hidden_size, num_hidden_layers, num_attention_heads,
                                intermediate_size, layer_norm_eps, image_size, patch_size,
                                num_channels, qkv_bias)
    classifier = Linear(hidden_size, num_labels)

    fn forward(pixel_values: f32[N, num_channels, image_size, image_size]) -> f32[N,
               num_labels] {
        return classifier(vit(pixel_values)[:, 0, :])
    }
}
