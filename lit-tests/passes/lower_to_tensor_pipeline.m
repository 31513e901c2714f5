# RUN: mopt %s -p lower-to-tensor | filecheck %s
# RUN: mopt %s -p lower-to-tensor | filecheck %s --check-prefix=TENSOR

# Every layer and function of a small vision model and a small causal transformer lowers
# to tensor ops; the host program keeps its model ops, which the runtime evaluates.

model Vision(classes: int) {
    conv = Conv2d(1, 4, 3, padding=1)
    pool = MaxPool2d(2)
    avg = AvgPool2d(2, stride=1)
    drop = Dropout(0.25)
    flat = Flatten()
    fc = Linear(36, classes)

    fn forward(x: f32[N, 1, 8, 8]) -> f32[N, classes] {
        return log_softmax(fc(flat(drop(avg(pool(relu(conv(x))))))))
    }
}

model Text(vocab: int, dim: int) {
    embed = Embedding(vocab, dim)
    norm = RMSNorm(dim)
    ln = LayerNorm(dim)
    attn = Attention(dim, 2, causal=true)
    up = Linear(dim, 2 * dim)

    fn forward(ids: i64[N, T]) -> f32[N, T, dim] {
        let h = embed(ids)
        h = h + attn(norm(h))
        return ln(h) + silu(up(h))[:, :, 0:dim] * sigmoid(h)
    }

    fn loss(ids: i64[N, T], labels: i64[N, T]) -> f32[] {
        return cross_entropy(forward(ids), labels)
    }
}

let v = Vision(10)
let t = Text(50, 8)
print(v(zeros([2, 1, 8, 8])))

# No layer or function op is left in a model method (model.get_param stays)...

# CHECK-LABEL: model.def @Vision_10
# CHECK-NOT:     model.{{(conv2d|max_pool2d|avg_pool2d|dropout|flatten|linear|relu|log_softmax)}}
# CHECK-LABEL: model.def @Text_50_8
# CHECK-NOT:     model.{{(embedding|rms_norm|layer_norm|attention|linear|silu|sigmoid|add|mul|slice|cross_entropy)}}
# CHECK-LABEL: func.func @main()
# CHECK:         model.instantiate @Vision_10
# CHECK:         model.zeros
# CHECK:         model.call

# ...each became tensor ops, the attention's causal mask included.

# TENSOR-LABEL: model.def @Vision_10
# TENSOR:         tensorops.conv2d
# TENSOR:         tensorops.max_pool2d
# TENSOR:         tensorops.avg_pool2d
# TENSOR:         tensorops.dropout
# TENSOR:         tensorops.reshape
# TENSOR:         tensorops.matmul
# TENSOR:         tensorops.log
# TENSOR-LABEL: model.def @Text_50_8
# TENSOR:         func.func @forward
# TENSOR:         tensorops.gather
# TENSOR:         tensorops.rsqrt
# TENSOR:         tensorops.iota
# TENSOR:         tensorops.select
# TENSOR:         tensorops.reshape_tail
# TENSOR:         tensorops.slice
# TENSOR:         func.func @loss
# TENSOR:         tensorops.neg
# TENSOR-NEXT:    func.return
