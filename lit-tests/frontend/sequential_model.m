# RUN: mopt %s | filecheck %s

# A sequential model: layer stages become fields named by position, function stages are
# applied with their other arguments, and the input type comes from the first layer.

model Mlp(d: int, classes: int) =
    Linear(d, 64) |> gelu |> Dropout(0.1) |> Linear(64, classes) |> softmax(axis=-1)

model Tokens(vocab: int, dim: int) = Embedding(vocab, dim) |> LayerNorm(dim) |> mean(axis=1)

let net = Mlp(4, 3)
let enc = Tokens(100, 8)
let y = net(randn([2, 4]))

# CHECK-LABEL: model.def @Mlp_4_3 attributes {source = "Mlp", hparams = {d = 4 : i64, classes = 3 : i64}} {
# CHECK-NEXT: model.param @"0.weight" : tensor<64x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @"0.bias" : tensor<64xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @"3.weight" : tensor<3x64xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @"3.bias" : tensor<3xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
# CHECK-NEXT: [[P0_WEIGHT:%.*]] = model.get_param @"0.weight" : tensor<64x4xf32>
# CHECK-NEXT: [[P0_BIAS:%.*]] = model.get_param @"0.bias" : tensor<64xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear %x, [[P0_WEIGHT]], [[P0_BIAS]] {layer = "0"} : (tensor<?x4xf32>, tensor<64x4xf32>, tensor<64xf32>) -> tensor<?x64xf32>
# CHECK-NEXT: [[GELU:%.*]] = model.gelu [[LINEAR]] : tensor<?x64xf32> -> tensor<?x64xf32>
# CHECK-NEXT: [[DROPOUT:%.*]] = model.dropout [[GELU]] {layer = "2", p = 1.000000e-01 : f64} : tensor<?x64xf32> -> tensor<?x64xf32>
# CHECK-NEXT: [[P3_WEIGHT:%.*]] = model.get_param @"3.weight" : tensor<3x64xf32>
# CHECK-NEXT: [[P3_BIAS:%.*]] = model.get_param @"3.bias" : tensor<3xf32>
# CHECK-NEXT: [[LINEAR2:%.*]] = model.linear [[DROPOUT]], [[P3_WEIGHT]], [[P3_BIAS]] {layer = "3"} : (tensor<?x64xf32>, tensor<3x64xf32>, tensor<3xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: [[SOFTMAX:%.*]] = model.softmax [[LINEAR2]] {axis = -1 : i64} : tensor<?x3xf32> -> tensor<?x3xf32>
# CHECK-NEXT: func.return [[SOFTMAX]] : tensor<?x3xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: model.def @Tokens_100_8 attributes {source = "Tokens", hparams = {vocab = 100 : i64, dim = 8 : i64}} {
# CHECK-NEXT: model.param @"0.weight" : tensor<100x8xf32> init "normal"({{.*}} : f64)
# CHECK-NEXT: model.param @"1.weight" : tensor<8xf32> init "ones"(1.000000e+00 : f64)
# CHECK-NEXT: model.param @"1.bias" : tensor<8xf32> init "zeros"(0.000000e+00 : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x?xi64>) -> tensor<?x8xf32> {
# CHECK-NEXT: [[P0_WEIGHT:%.*]] = model.get_param @"0.weight" : tensor<100x8xf32>
# CHECK-NEXT: [[EMBEDDING:%.*]] = model.embedding %x, [[P0_WEIGHT]] {layer = "0"} : (tensor<?x?xi64>, tensor<100x8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[P1_WEIGHT:%.*]] = model.get_param @"1.weight" : tensor<8xf32>
# CHECK-NEXT: [[P1_BIAS:%.*]] = model.get_param @"1.bias" : tensor<8xf32>
# CHECK-NEXT: [[LAYER_NORM:%.*]] = model.layer_norm [[EMBEDDING]], [[P1_WEIGHT]], [[P1_BIAS]] {layer = "1", eps = 1.000000e-05 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
# CHECK-NEXT: [[MEAN:%.*]] = model.mean [[LAYER_NORM]] {axis = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x8xf32>
# CHECK-NEXT: func.return [[MEAN]] : tensor<?x8xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Mlp_4_3 : !model.model<"Mlp_4_3">
# CHECK-NEXT: [[INSTANTIATE2:%.*]] = model.instantiate @Tokens_100_8 : !model.model<"Tokens_100_8">
# CHECK-NEXT: [[RANDN:%.*]] = model.randn : tensor<2x4xf32>
# CHECK-NEXT: [[CALL:%.*]] = model.call [[INSTANTIATE]] @forward([[RANDN]]) : !model.model<"Mlp_4_3">, (tensor<2x4xf32>) -> tensor<2x3xf32>
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
