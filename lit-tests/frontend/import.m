# RUN: mopt %s | filecheck %s

# `import` makes the models and functions of another file visible, transitively, with the
# path relative to the importing file; the imported host program is not run. A file
# imported twice (here directly and through layers_lib.m) declares its names once.

import "Inputs/layers_lib.m"
import "Inputs/scale_lib.m"

model Net(dim: int) {
    body = Linear(8, dim)
    head = Head(dim, 3)

    fn forward(x: f32[N, 8]) -> f32[N, 3] {
        return head(scaled(body(x), 0.5))
    }
}

let net = Net(16)

# CHECK-LABEL: model.def @Net_16 attributes {source = "Net", hparams = {dim = 16 : i64}} {
# CHECK-NEXT: model.param @body.weight : tensor<16x8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @body.bias : tensor<16xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @head.fc.weight : tensor<3x16xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @head.fc.bias : tensor<3xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x3xf32> {
# CHECK-NEXT: [[BODY_WEIGHT:%.*]] = model.get_param @body.weight : tensor<16x8xf32>
# CHECK-NEXT: [[BODY_BIAS:%.*]] = model.get_param @body.bias : tensor<16xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear %x, [[BODY_WEIGHT]], [[BODY_BIAS]] {layer = "body"} : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32>
# CHECK-NEXT: [[CST:%.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
# CHECK-NEXT: [[MUL:%.*]] = model.mul [[LINEAR]], [[CST]] : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
# CHECK-NEXT: [[HEAD_FC_WEIGHT:%.*]] = model.get_param @head.fc.weight : tensor<3x16xf32>
# CHECK-NEXT: [[HEAD_FC_BIAS:%.*]] = model.get_param @head.fc.bias : tensor<3xf32>
# CHECK-NEXT: [[LINEAR2:%.*]] = model.linear [[MUL]], [[HEAD_FC_WEIGHT]], [[HEAD_FC_BIAS]] {layer = "head.fc"} : (tensor<?x16xf32>, tensor<3x16xf32>, tensor<3xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: [[CST2:%.*]] = arith.constant dense<2.000000e+00> : tensor<f32>
# CHECK-NEXT: [[MUL2:%.*]] = model.mul [[LINEAR2]], [[CST2]] : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
# CHECK-NEXT: func.return [[MUL2]] : tensor<?x3xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Net_16 : !model.model<"Net_16">
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
