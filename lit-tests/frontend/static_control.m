# RUN: mopt %s | filecheck %s

# Inside models and tensor functions, `for i in 0..n` is unrolled and `if` on a
# compile-time value keeps one branch; nothing of the loop or the condition remains. On
# the host, a loop over a list literal is unrolled too, so that its items may be
# hyper-parameters (a sweep over widths).

fn power(x: f32[N, D], n: int) -> f32[N, D] {
    let y = x
    for i in 1..n {
        y = y * x
    }
    return y
}

model Tower(dim: int, depth: int, residual: bool) {
    layers = repeat(depth, Linear(dim, dim))

    fn forward(x: f32[N, dim]) -> f32[N, dim] {
        let h = x
        for i in 0..depth {
            if residual and i > 0 {
                h = h + layers[i](h)
            } else {
                h = layers[i](h)
            }
        }
        return power(h, 3)
    }
}

let a = Tower(4, 2, true)
let b = Tower(4, 2, false)
for depth in [1, 3] {
    print(params(Tower(4, depth, false)))
}

# CHECK-LABEL: model.def @Tower_4_2_true attributes {source = "Tower", hparams = {dim = 4 : i64, depth = 2 : i64, residual = true}} {
# CHECK-NEXT: model.param @layers.0.weight : tensor<4x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @layers.0.bias : tensor<4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @layers.1.weight : tensor<4x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @layers.1.bias : tensor<4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
# CHECK-NEXT: [[LAYERS_0_WEIGHT:%.*]] = model.get_param @layers.0.weight : tensor<4x4xf32>
# CHECK-NEXT: [[LAYERS_0_BIAS:%.*]] = model.get_param @layers.0.bias : tensor<4xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear %x, [[LAYERS_0_WEIGHT]], [[LAYERS_0_BIAS]] {layer = "layers.0"} : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[LAYERS_1_WEIGHT:%.*]] = model.get_param @layers.1.weight : tensor<4x4xf32>
# CHECK-NEXT: [[LAYERS_1_BIAS:%.*]] = model.get_param @layers.1.bias : tensor<4xf32>
# CHECK-NEXT: [[LINEAR2:%.*]] = model.linear [[LINEAR]], [[LAYERS_1_WEIGHT]], [[LAYERS_1_BIAS]] {layer = "layers.1"} : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD:%.*]] = model.add [[LINEAR]], [[LINEAR2]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[MUL:%.*]] = model.mul [[ADD]], [[ADD]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[MUL2:%.*]] = model.mul [[MUL]], [[ADD]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: func.return [[MUL2]] : tensor<?x4xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: model.def @Tower_4_2_false attributes {source = "Tower", hparams = {dim = 4 : i64, depth = 2 : i64, residual = false}} {
# CHECK-NEXT: model.param @layers.0.weight : tensor<4x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @layers.0.bias : tensor<4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @layers.1.weight : tensor<4x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @layers.1.bias : tensor<4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
# CHECK-NEXT: [[LAYERS_0_WEIGHT:%.*]] = model.get_param @layers.0.weight : tensor<4x4xf32>
# CHECK-NEXT: [[LAYERS_0_BIAS:%.*]] = model.get_param @layers.0.bias : tensor<4xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear %x, [[LAYERS_0_WEIGHT]], [[LAYERS_0_BIAS]] {layer = "layers.0"} : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[LAYERS_1_WEIGHT:%.*]] = model.get_param @layers.1.weight : tensor<4x4xf32>
# CHECK-NEXT: [[LAYERS_1_BIAS:%.*]] = model.get_param @layers.1.bias : tensor<4xf32>
# CHECK-NEXT: [[LINEAR2:%.*]] = model.linear [[LINEAR]], [[LAYERS_1_WEIGHT]], [[LAYERS_1_BIAS]] {layer = "layers.1"} : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[MUL:%.*]] = model.mul [[LINEAR2]], [[LINEAR2]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[MUL2:%.*]] = model.mul [[MUL]], [[LINEAR2]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: func.return [[MUL2]] : tensor<?x4xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: model.def @Tower_4_1_false
# CHECK-LABEL: model.def @Tower_4_3_false
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Tower_4_2_true : !model.model<"Tower_4_2_true">
# CHECK-NEXT: [[INSTANTIATE2:%.*]] = model.instantiate @Tower_4_2_false : !model.model<"Tower_4_2_false">
# CHECK-NEXT: [[ONE:%.*]] = model.instantiate @Tower_4_1_false : !model.model<"Tower_4_1_false">
# CHECK-NEXT: [[PARAMS1:%.*]] = model.params [[ONE]]
# CHECK-NEXT: model.print [[PARAMS1]]
# CHECK-NEXT: [[THREE:%.*]] = model.instantiate @Tower_4_3_false : !model.model<"Tower_4_3_false">
# CHECK-NEXT: [[PARAMS3:%.*]] = model.params [[THREE]]
# CHECK-NEXT: model.print [[PARAMS3]]
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
