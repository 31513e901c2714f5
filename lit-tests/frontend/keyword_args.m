# RUN: mopt %s | filecheck %s

# Keyword arguments: to layers (as properties), to tensor functions, to user functions
# (with defaults), to hyper-parameters, and to host functions (as keyword operands, only
# for the keywords given; an int is converted where a float is expected).

fn shift(x: f32[N, H, W, C], by: float = 1.0, scale: float = 2.0) -> f32[N, H, W, C] {
    return x * scale + by
}

model Conv(ch: int, k: int = 3) {
    conv = Conv2d(1, ch, k, stride=2, padding=1, bias=false)
    pool = MaxPool2d(kernel=2)
    norm = LayerNorm(dim=ch, eps=0.001)

    fn forward(x: f32[N, 1, 8, 8]) -> f32[N, 2, 2, ch] {
        let h = permute(pool(conv(x)), dims=[0, 2, 3, 1])
        return shift(norm(h), scale=0.5)
    }
}

let net = Conv(k=3, ch=4)
let (train, test) = split(dataset("digits"), seed=7, fraction=0.5)
fit(net, train, epochs=1, lr=1, batch=64)
print(evaluate(net, test, metric="loss"), sum(randn([2, 3]), keepdim=true, axis=0))

# CHECK-LABEL: model.def @Conv_4_3 attributes {source = "Conv", hparams = {ch = 4 : i64, k = 3 : i64}} {
# CHECK-NEXT: model.param @conv.weight : tensor<4x1x3x3xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @norm.weight : tensor<4xf32> init "ones"(1.000000e+00 : f64)
# CHECK-NEXT: model.param @norm.bias : tensor<4xf32> init "zeros"(0.000000e+00 : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x1x8x8xf32>) -> tensor<?x2x2x4xf32> {
# CHECK-NEXT: [[CONV_WEIGHT:%.*]] = model.get_param @conv.weight : tensor<4x1x3x3xf32>
# CHECK-NEXT: [[CONV2D:%.*]] = model.conv2d %x, [[CONV_WEIGHT]] {layer = "conv", stride = 2 : i64, padding = 1 : i64} : (tensor<?x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<?x4x4x4xf32>
# CHECK-NEXT: [[MAX_POOL2D:%.*]] = model.max_pool2d [[CONV2D]] {layer = "pool", kernel = 2 : i64, stride = 2 : i64} : tensor<?x4x4x4xf32> -> tensor<?x4x2x2xf32>
# CHECK-NEXT: [[PERMUTE:%.*]] = model.permute [[MAX_POOL2D]] array<i64: 0, 2, 3, 1> : tensor<?x4x2x2xf32> -> tensor<?x2x2x4xf32>
# CHECK-NEXT: [[NORM_WEIGHT:%.*]] = model.get_param @norm.weight : tensor<4xf32>
# CHECK-NEXT: [[NORM_BIAS:%.*]] = model.get_param @norm.bias : tensor<4xf32>
# CHECK-NEXT: [[LAYER_NORM:%.*]] = model.layer_norm [[PERMUTE]], [[NORM_WEIGHT]], [[NORM_BIAS]] {layer = "norm", eps = 1.000000e-03 : f64} : (tensor<?x2x2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x2x2x4xf32>
# CHECK-NEXT: [[CST:%.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
# CHECK-NEXT: [[MUL:%.*]] = model.mul [[LAYER_NORM]], [[CST]] : (tensor<?x2x2x4xf32>, tensor<f32>) -> tensor<?x2x2x4xf32>
# CHECK-NEXT: [[CST2:%.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
# CHECK-NEXT: [[ADD:%.*]] = model.add [[MUL]], [[CST2]] : (tensor<?x2x2x4xf32>, tensor<f32>) -> tensor<?x2x2x4xf32>
# CHECK-NEXT: func.return [[ADD]] : tensor<?x2x2x4xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Conv_4_3 : !model.model<"Conv_4_3">
# CHECK-NEXT: [[S_DIGITS:%.*]] = model.str "digits"
# CHECK-NEXT: [[DATASET:%.*]] = model.dataset [[S_DIGITS]] : !model.str -> !model.dataset
# CHECK-NEXT: [[F:%.*]] = arith.constant 5.000000e-01 : f64
# CHECK-NEXT: [[C7:%.*]] = arith.constant 7 : i64
# CHECK-NEXT: [[SPLIT:%.*]] = model.split [[DATASET]], [[F]] seed([[C7]] : i64) : !model.dataset, f64 -> tuple<!model.dataset, !model.dataset>
# CHECK-NEXT: [[C0:%.*]] = arith.constant 0 : i64
# CHECK-NEXT: [[INDEX:%.*]] = model.index [[SPLIT]]{{\[}}[[C0]]{{\]}} : (tuple<!model.dataset, !model.dataset>, i64) -> !model.dataset
# CHECK-NEXT: [[C1:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[INDEX2:%.*]] = model.index [[SPLIT]]{{\[}}[[C1]]{{\]}} : (tuple<!model.dataset, !model.dataset>, i64) -> !model.dataset
# CHECK-NEXT: [[C12:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[TO_FLOAT:%.*]] = model.to_float [[C12]] : i64
# CHECK-NEXT: [[C13:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[C64:%.*]] = arith.constant 64 : i64
# CHECK-NEXT: [[FIT:%.*]] = model.fit [[INSTANTIATE]], [[INDEX]] lr([[TO_FLOAT]] : f64) epochs([[C13]] : i64) batch([[C64]] : i64) : !model.model<"Conv_4_3">, !model.dataset -> f64
# CHECK-NEXT: [[S_LOSS:%.*]] = model.str "loss"
# CHECK-NEXT: [[EVALUATE:%.*]] = model.evaluate [[INSTANTIATE]], [[INDEX2]] metric([[S_LOSS]] : !model.str) : !model.model<"Conv_4_3">, !model.dataset -> f64
# CHECK-NEXT: [[RANDN:%.*]] = model.randn : tensor<2x3xf32>
# CHECK-NEXT: [[SUM:%.*]] = model.sum [[RANDN]] {axis = 0 : i64, keepdim = true} : tensor<2x3xf32> -> tensor<1x3xf32>
# CHECK-NEXT: model.print [[EVALUATE]], [[SUM]] : f64, tensor<1x3xf32>
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
