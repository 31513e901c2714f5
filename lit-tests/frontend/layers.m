# RUN: mopt %s | filecheck %s

# Every built-in layer: its parameters (PyTorch names, shapes, initialisers), its op and
# the `layer` attribute naming the field; Flatten has no parameters and no attribute.

model Vision(classes: int) {
    conv = Conv2d(1, 4, 3, padding=1)
    pool = AvgPool2d(2, stride=1)
    drop = Dropout(0.25)
    flat = Flatten()
    fc = Linear(196, classes)

    fn forward(x: f32[N, 1, 8, 8]) -> f32[N, classes] {
        return fc(flat(drop(pool(conv(x)))))
    }
}

model Text(vocab: int, dim: int) {
    embed = Embedding(vocab, dim)
    norm = RMSNorm(dim)
    attn = Attention(dim, 2)

    fn forward(ids: i64[N, T]) -> f32[N, T, dim] {
        return attn(norm(embed(ids)))
    }
}

let v = Vision(10)
let t = Text(50, 8)

# CHECK-LABEL: model.def @Vision_10 attributes {source = "Vision", hparams = {classes = 10 : i64}} {
# CHECK-NEXT: model.param @conv.weight : tensor<4x1x3x3xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @conv.bias : tensor<4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @fc.weight : tensor<10x196xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @fc.bias : tensor<10xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x1x8x8xf32>) -> tensor<?x10xf32> {
# CHECK-NEXT: [[CONV_WEIGHT:%.*]] = model.get_param @conv.weight : tensor<4x1x3x3xf32>
# CHECK-NEXT: [[CONV_BIAS:%.*]] = model.get_param @conv.bias : tensor<4xf32>
# CHECK-NEXT: [[CONV2D:%.*]] = model.conv2d %x, [[CONV_WEIGHT]], [[CONV_BIAS]] {layer = "conv", stride = 1 : i64, padding = 1 : i64} : (tensor<?x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
# CHECK-NEXT: [[AVG_POOL2D:%.*]] = model.avg_pool2d [[CONV2D]] {layer = "pool", kernel = 2 : i64, stride = 1 : i64} : tensor<?x4x8x8xf32> -> tensor<?x4x7x7xf32>
# CHECK-NEXT: [[DROPOUT:%.*]] = model.dropout [[AVG_POOL2D]] {layer = "drop", p = 2.500000e-01 : f64} : tensor<?x4x7x7xf32> -> tensor<?x4x7x7xf32>
# CHECK-NEXT: [[FLATTEN:%.*]] = model.flatten [[DROPOUT]] {layer = "flat", start = 1 : i64} : tensor<?x4x7x7xf32> -> tensor<?x196xf32>
# CHECK-NEXT: [[FC_WEIGHT:%.*]] = model.get_param @fc.weight : tensor<10x196xf32>
# CHECK-NEXT: [[FC_BIAS:%.*]] = model.get_param @fc.bias : tensor<10xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear [[FLATTEN]], [[FC_WEIGHT]], [[FC_BIAS]] {layer = "fc"} : (tensor<?x196xf32>, tensor<10x196xf32>, tensor<10xf32>) -> tensor<?x10xf32>
# CHECK-NEXT: func.return [[LINEAR]] : tensor<?x10xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: model.def @Text_50_8 attributes {source = "Text", hparams = {vocab = 50 : i64, dim = 8 : i64}} {
# CHECK-NEXT: model.param @embed.weight : tensor<50x8xf32> init "normal"({{.*}} : f64)
# CHECK-NEXT: model.param @norm.weight : tensor<8xf32> init "ones"(1.000000e+00 : f64)
# CHECK-NEXT: model.param @attn.q.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @attn.q.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @attn.k.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @attn.k.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @attn.v.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @attn.v.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @attn.out.weight : tensor<8x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @attn.out.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x8xf32> {
# CHECK-NEXT: [[EMBED_WEIGHT:%.*]] = model.get_param @embed.weight : tensor<50x8xf32>
# CHECK-NEXT: [[EMBEDDING:%.*]] = model.embedding %ids, [[EMBED_WEIGHT]] {layer = "embed"} : (tensor<?x?xi64>, tensor<50x8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[NORM_WEIGHT:%.*]] = model.get_param @norm.weight : tensor<8xf32>
# CHECK-NEXT: [[RMS_NORM:%.*]] = model.rms_norm [[EMBEDDING]], [[NORM_WEIGHT]] {layer = "norm", eps = 1.000000e-06 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[ATTN_Q_WEIGHT:%.*]] = model.get_param @attn.q.weight : tensor<8x8xf32>
# CHECK-NEXT: [[ATTN_Q_BIAS:%.*]] = model.get_param @attn.q.bias : tensor<8xf32>
# CHECK-NEXT: [[ATTN_K_WEIGHT:%.*]] = model.get_param @attn.k.weight : tensor<8x8xf32>
# CHECK-NEXT: [[ATTN_K_BIAS:%.*]] = model.get_param @attn.k.bias : tensor<8xf32>
# CHECK-NEXT: [[ATTN_V_WEIGHT:%.*]] = model.get_param @attn.v.weight : tensor<8x8xf32>
# CHECK-NEXT: [[ATTN_V_BIAS:%.*]] = model.get_param @attn.v.bias : tensor<8xf32>
# CHECK-NEXT: [[ATTN_OUT_WEIGHT:%.*]] = model.get_param @attn.out.weight : tensor<8x8xf32>
# CHECK-NEXT: [[ATTN_OUT_BIAS:%.*]] = model.get_param @attn.out.bias : tensor<8xf32>
# CHECK-NEXT: [[ATTENTION:%.*]] = model.attention [[RMS_NORM]], [[ATTN_Q_WEIGHT]], [[ATTN_Q_BIAS]], [[ATTN_K_WEIGHT]], [[ATTN_K_BIAS]], [[ATTN_V_WEIGHT]], [[ATTN_V_BIAS]], [[ATTN_OUT_WEIGHT]], [[ATTN_OUT_BIAS]] {layer = "attn", heads = 2 : i64, causal = false} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: func.return [[ATTENTION]] : tensor<?x?x8xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Vision_10 : !model.model<"Vision_10">
# CHECK-NEXT: [[INSTANTIATE2:%.*]] = model.instantiate @Text_50_8 : !model.model<"Text_50_8">
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
