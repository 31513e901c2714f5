# RUN: mopt %s | filecheck %s

# `param` and `buffer` fields with initialisers, a parameter read in a method
# (`cls_token`, `self.dense.bias`), `tie`, and fields with Hugging Face's names (`model`,
# `self`, an M keyword and a layer's name).

model Attn(dim: int) {
    dense = Linear(dim, dim)
    fn forward(x: f32[N, dim]) -> f32[N, dim] { return dense(x) }
}

model LM(vocab: int, dim: int) {
    param cls_token: f32[1, dim] = zeros([1, dim])
    buffer scale: f32[dim] = full([dim], 2.0)
    wte = Embedding(vocab, dim)
    self = Attn(dim)
    LayerNorm = LayerNorm(dim)
    lm_head = Linear(dim, vocab, bias=false)
    tie lm_head.weight = wte.weight
    fn forward(ids: i64[N]) -> f32[N, vocab] {
        let h = LayerNorm(self(wte(ids)) + cls_token) * scale + self.dense.bias
        return lm_head(h)
    }
}

# CHECK-LABEL: model.def @LM_10_4
# CHECK-NEXT: model.param @cls_token : tensor<1x4xf32> init "zeros"(0.000000e+00 : f64)
# CHECK-NEXT: model.param @scale : tensor<4xf32> init "full"(2.000000e+00 : f64) {buffer}
# CHECK-NEXT: model.param @wte.weight : tensor<10x4xf32> init "normal"
# CHECK-NEXT: model.param @self.dense.weight
# CHECK-NEXT: model.param @self.dense.bias
# CHECK-NEXT: model.param @LayerNorm.weight
# CHECK-NEXT: model.param @LayerNorm.bias
# CHECK-NEXT: model.param @lm_head.weight : tensor<10x4xf32>
# CHECK-NEXT: model.tie @lm_head.weight = @wte.weight
# CHECK-DAG: model.get_param @cls_token
# CHECK-DAG: model.get_param @scale
# CHECK-DAG: model.get_param @self.dense.bias
print(LM(10, 4)(tensor([1, 2])))
