# A tiny ViT in Hugging Face's layout (ViTForImageClassification: hidden 32, 2 layers,
# 4 heads, intermediate 37, image 32, patch 8, 3 labels), written out by hand, so that the
# model.safetensors that `save_pretrained` writes loads with no renaming.

model PatchEmbeddings() {
    projection = Conv2d(3, 32, 8, stride=8)

    fn forward(x: f32[N, 3, 32, 32]) -> f32[N, 16, 32] {
        return transpose(reshape(projection(x), [shape(x)[0], 32, 16]), 1, 2)
    }
}

model Embeddings() {
    param cls_token: f32[1, 1, 32] = zeros([1, 1, 32])
    param position_embeddings: f32[1, 17, 32] = randn([1, 17, 32]) * 0.02
    patch_embeddings = PatchEmbeddings()

    fn forward(x: f32[N, 3, 32, 32]) -> f32[N, 17, 32] {
        let cls = cls_token + zeros([shape(x)[0], 1, 32])
        return concat([cls, patch_embeddings(x)], axis=1) + position_embeddings
    }
}

model SelfAttention() {
    query = Linear(32, 32)
    key = Linear(32, 32)
    value = Linear(32, 32)

    fn heads(x: f32[N, 17, 32]) -> f32[N, 4, 17, 8] {
        return transpose(reshape(x, [shape(x)[0], 17, 4, 8]), 1, 2)
    }

    fn forward(x: f32[N, 17, 32]) -> f32[N, 17, 32] {
        let context = attention(heads(query(x)), heads(key(x)), heads(value(x)))
        return reshape(transpose(context, 1, 2), [shape(x)[0], 17, 32])
    }
}

model SelfOutput() {
    dense = Linear(32, 32)
    fn forward(x: f32[N, 17, 32]) -> f32[N, 17, 32] {
        return dense(x)
    }
}

model Attention() {
    attention = SelfAttention()
    output = SelfOutput()
    fn forward(x: f32[N, 17, 32]) -> f32[N, 17, 32] {
        return output(attention(x))
    }
}

model Intermediate() {
    dense = Linear(32, 37)
    fn forward(x: f32[N, 17, 32]) -> f32[N, 17, 37] {
        return gelu(dense(x))
    }
}

model Output() {
    dense = Linear(37, 32)
    fn forward(x: f32[N, 17, 37]) -> f32[N, 17, 32] {
        return dense(x)
    }
}

# Pre-norm: x + attention(norm(x)), then h + mlp(norm(h)).
model Layer() {
    attention = Attention()
    intermediate = Intermediate()
    output = Output()
    layernorm_before = LayerNorm(32, eps=1e-12)
    layernorm_after = LayerNorm(32, eps=1e-12)

    fn forward(x: f32[N, 17, 32]) -> f32[N, 17, 32] {
        let h = attention(layernorm_before(x)) + x
        return output(intermediate(layernorm_after(h))) + h
    }
}

model Encoder() {
    layer = repeat(2, Layer())
    fn forward(x: f32[N, 17, 32]) -> f32[N, 17, 32] {
        let h = x
        for block in layer {
            h = block(h)
        }
        return h
    }
}

model ViTModel() {
    embeddings = Embeddings()
    encoder = Encoder()
    layernorm = LayerNorm(32, eps=1e-12)
    fn forward(x: f32[N, 3, 32, 32]) -> f32[N, 17, 32] {
        return layernorm(encoder(embeddings(x)))
    }
}

model ViTForImageClassification() {
    vit = ViTModel()
    classifier = Linear(32, 3)
    fn forward(pixel_values: f32[N, 3, 32, 32]) -> f32[N, 3] {
        return classifier(vit(pixel_values)[:, 0, :])
    }
}
