# RUN: mopt %s | filecheck %s
# RUN: mopt %s | filecheck %s --check-prefix=INLINED

# repeat(n, LAYER) makes independent copies; blocks[i] and `for b in blocks` are unrolled,
# and sub-model fields are inlined with dotted parameter paths.

model Block(dim: int, heads: int) {
    ln = LayerNorm(dim)
    attn = Attention(dim, heads, causal=true)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return x + attn(ln(x))
    }
}

model Stack(dim: int, depth: int) {
    blocks = repeat(depth, Block(dim, 2))
    heads = repeat(2, Linear(dim, dim, bias=false))

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let h = blocks[0](x)
        for b in blocks {
            h = b(h)
        }
        return heads[-1](h)
    }
}

let net = Stack(8, 2)

# Block is only a field: it is inlined into Stack and has no model.def of its own.
# INLINED-NOT: model.def @Block
# INLINED:     model.def @Stack_8_2
# INLINED-NOT: model.def @Block

# CHECK-LABEL: model.def @Stack_8_2 attributes {source = "Stack", hparams = {dim = 8 : i64, depth = 2 : i64}} {
# CHECK-NEXT: model.param @blocks.0.ln.weight : tensor<8xf32> init "ones"(1.000000e+00 : f64)
# CHECK-NEXT: model.param @blocks.0.ln.bias : tensor<8xf32> init "zeros"(0.000000e+00 : f64)
# CHECK-NEXT: model.param @blocks.0.attn.q.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.0.attn.q.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.0.attn.k.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.0.attn.k.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.0.attn.v.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.0.attn.v.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.0.attn.out.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.0.attn.out.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.1.ln.weight : tensor<8xf32> init "ones"(1.000000e+00 : f64)
# CHECK-NEXT: model.param @blocks.1.ln.bias : tensor<8xf32> init "zeros"(0.000000e+00 : f64)
# CHECK-NEXT: model.param @blocks.1.attn.q.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.1.attn.q.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.1.attn.k.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.1.attn.k.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.1.attn.v.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.1.attn.v.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.1.attn.out.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @blocks.1.attn.out.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @heads.0.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @heads.1.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
# CHECK-NEXT: [[BLOCKS_0_LN_WEIGHT:%.*]] = model.get_param @blocks.0.ln.weight : tensor<8xf32>
# CHECK-NEXT: [[BLOCKS_0_LN_BIAS:%.*]] = model.get_param @blocks.0.ln.bias : tensor<8xf32>
# CHECK-NEXT: [[LAYER_NORM:%.*]] = model.layer_norm %x, [[BLOCKS_0_LN_WEIGHT]], [[BLOCKS_0_LN_BIAS]] {layer = "blocks.0.ln", eps = 1.000000e-05 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[BLOCKS_0_ATTN_Q_WEIGHT:%.*]] = model.get_param @blocks.0.attn.q.weight : tensor<8x8xf32>
# CHECK-NEXT: [[BLOCKS_0_ATTN_Q_BIAS:%.*]] = model.get_param @blocks.0.attn.q.bias : tensor<8xf32>
# CHECK-NEXT: [[BLOCKS_0_ATTN_K_WEIGHT:%.*]] = model.get_param @blocks.0.attn.k.weight : tensor<8x8xf32>
# CHECK-NEXT: [[BLOCKS_0_ATTN_K_BIAS:%.*]] = model.get_param @blocks.0.attn.k.bias : tensor<8xf32>
# CHECK-NEXT: [[BLOCKS_0_ATTN_V_WEIGHT:%.*]] = model.get_param @blocks.0.attn.v.weight : tensor<8x8xf32>
# CHECK-NEXT: [[BLOCKS_0_ATTN_V_BIAS:%.*]] = model.get_param @blocks.0.attn.v.bias : tensor<8xf32>
# CHECK-NEXT: [[BLOCKS_0_ATTN_OUT_WEIGHT:%.*]] = model.get_param @blocks.0.attn.out.weight : tensor<8x8xf32>
# CHECK-NEXT: [[BLOCKS_0_ATTN_OUT_BIAS:%.*]] = model.get_param @blocks.0.attn.out.bias : tensor<8xf32>
# CHECK-NEXT: [[ATTENTION:%.*]] = model.attention [[LAYER_NORM]], [[BLOCKS_0_ATTN_Q_WEIGHT]], [[BLOCKS_0_ATTN_Q_BIAS]], [[BLOCKS_0_ATTN_K_WEIGHT]], [[BLOCKS_0_ATTN_K_BIAS]], [[BLOCKS_0_ATTN_V_WEIGHT]], [[BLOCKS_0_ATTN_V_BIAS]], [[BLOCKS_0_ATTN_OUT_WEIGHT]], [[BLOCKS_0_ATTN_OUT_BIAS]] {layer = "blocks.0.attn", heads = 2 : i64, causal = true} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[ADD:%.*]] = model.add %x, [[ATTENTION]] : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[LAYER_NORM2:%.*]] = model.layer_norm [[ADD]], [[BLOCKS_0_LN_WEIGHT]], [[BLOCKS_0_LN_BIAS]] {layer = "blocks.0.ln", eps = 1.000000e-05 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[ATTENTION2:%.*]] = model.attention [[LAYER_NORM2]], [[BLOCKS_0_ATTN_Q_WEIGHT]], [[BLOCKS_0_ATTN_Q_BIAS]], [[BLOCKS_0_ATTN_K_WEIGHT]], [[BLOCKS_0_ATTN_K_BIAS]], [[BLOCKS_0_ATTN_V_WEIGHT]], [[BLOCKS_0_ATTN_V_BIAS]], [[BLOCKS_0_ATTN_OUT_WEIGHT]], [[BLOCKS_0_ATTN_OUT_BIAS]] {layer = "blocks.0.attn", heads = 2 : i64, causal = true} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[ADD2:%.*]] = model.add [[ADD]], [[ATTENTION2]] : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[BLOCKS_1_LN_WEIGHT:%.*]] = model.get_param @blocks.1.ln.weight : tensor<8xf32>
# CHECK-NEXT: [[BLOCKS_1_LN_BIAS:%.*]] = model.get_param @blocks.1.ln.bias : tensor<8xf32>
# CHECK-NEXT: [[LAYER_NORM3:%.*]] = model.layer_norm [[ADD2]], [[BLOCKS_1_LN_WEIGHT]], [[BLOCKS_1_LN_BIAS]] {layer = "blocks.1.ln", eps = 1.000000e-05 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[BLOCKS_1_ATTN_Q_WEIGHT:%.*]] = model.get_param @blocks.1.attn.q.weight : tensor<8x8xf32>
# CHECK-NEXT: [[BLOCKS_1_ATTN_Q_BIAS:%.*]] = model.get_param @blocks.1.attn.q.bias : tensor<8xf32>
# CHECK-NEXT: [[BLOCKS_1_ATTN_K_WEIGHT:%.*]] = model.get_param @blocks.1.attn.k.weight : tensor<8x8xf32>
# CHECK-NEXT: [[BLOCKS_1_ATTN_K_BIAS:%.*]] = model.get_param @blocks.1.attn.k.bias : tensor<8xf32>
# CHECK-NEXT: [[BLOCKS_1_ATTN_V_WEIGHT:%.*]] = model.get_param @blocks.1.attn.v.weight : tensor<8x8xf32>
# CHECK-NEXT: [[BLOCKS_1_ATTN_V_BIAS:%.*]] = model.get_param @blocks.1.attn.v.bias : tensor<8xf32>
# CHECK-NEXT: [[BLOCKS_1_ATTN_OUT_WEIGHT:%.*]] = model.get_param @blocks.1.attn.out.weight : tensor<8x8xf32>
# CHECK-NEXT: [[BLOCKS_1_ATTN_OUT_BIAS:%.*]] = model.get_param @blocks.1.attn.out.bias : tensor<8xf32>
# CHECK-NEXT: [[ATTENTION3:%.*]] = model.attention [[LAYER_NORM3]], [[BLOCKS_1_ATTN_Q_WEIGHT]], [[BLOCKS_1_ATTN_Q_BIAS]], [[BLOCKS_1_ATTN_K_WEIGHT]], [[BLOCKS_1_ATTN_K_BIAS]], [[BLOCKS_1_ATTN_V_WEIGHT]], [[BLOCKS_1_ATTN_V_BIAS]], [[BLOCKS_1_ATTN_OUT_WEIGHT]], [[BLOCKS_1_ATTN_OUT_BIAS]] {layer = "blocks.1.attn", heads = 2 : i64, causal = true} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[ADD3:%.*]] = model.add [[ADD2]], [[ATTENTION3]] : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[HEADS_1_WEIGHT:%.*]] = model.get_param @heads.1.weight : tensor<8x8xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear [[ADD3]], [[HEADS_1_WEIGHT]] {layer = "heads.1"} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: func.return [[LINEAR]] : tensor<?x?x8xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Stack_8_2 : !model.model<"Stack_8_2">
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
