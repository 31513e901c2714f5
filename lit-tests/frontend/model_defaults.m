# RUN: mopt %s | filecheck %s
# RUN: mopt %s | grep -c "model.def @Classifier_64_128_10 " | filecheck %s --check-prefix=ONCE

# Hyper-parameter defaults and keywords, the naming of specialised models, and one
# model.def shared by equal instantiations.

model Classifier(features: int, hidden: int = 128, classes: int = 10) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes, bias=false)

    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x)))
    }
}

model Scaled(tag: str, scale: float = 0.5, flag: bool = true) {
    fc = Linear(4, 4)

    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        return fc(x) * scale
    }
}

let a = Classifier(64, 128, 10)
let b = Classifier(64)
let c = Classifier(features=64, classes=3)
let d = Scaled("a-b", -1.5)
let e = Scaled("a_b", -1.5)
let f = Scaled("x", flag=false)

# Classifier(64, 128, 10) and Classifier(64) are one specialisation: one model.def.
# ONCE: {{^1$}}

# CHECK-LABEL: model.def @Classifier_64_128_10 attributes {source = "Classifier", hparams = {features = 64 : i64, hidden = 128 : i64, classes = 10 : i64}} {
# CHECK-NEXT: model.param @fc1.weight : tensor<128x64xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @fc1.bias : tensor<128xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @fc2.weight : tensor<10x128xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x10xf32> {
# CHECK-NEXT: [[FC1_WEIGHT:%.*]] = model.get_param @fc1.weight : tensor<128x64xf32>
# CHECK-NEXT: [[FC1_BIAS:%.*]] = model.get_param @fc1.bias : tensor<128xf32>
# CHECK-NEXT: [[FC1:%.*]] = model.linear %x, [[FC1_WEIGHT]], [[FC1_BIAS]] {layer = "fc1"} : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
# CHECK-NEXT: [[RELU:%.*]] = model.relu [[FC1]] : tensor<?x128xf32> -> tensor<?x128xf32>
# CHECK-NEXT: [[FC2_WEIGHT:%.*]] = model.get_param @fc2.weight : tensor<10x128xf32>
# CHECK-NEXT: [[FC2:%.*]] = model.linear [[RELU]], [[FC2_WEIGHT]] {layer = "fc2"} : (tensor<?x128xf32>, tensor<10x128xf32>) -> tensor<?x10xf32>
# CHECK-NEXT: func.return [[FC2]] : tensor<?x10xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }

# CHECK-LABEL: model.def @Classifier_64_128_3 attributes {source = "Classifier", hparams = {features = 64 : i64, hidden = 128 : i64, classes = 3 : i64}} {
# CHECK-NEXT: model.param @fc1.weight : tensor<128x64xf32>
# CHECK-NEXT: model.param @fc1.bias : tensor<128xf32>
# CHECK-NEXT: model.param @fc2.weight : tensor<3x128xf32>
# CHECK-NEXT: func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x3xf32> {

# Strings are sanitised, floats written with `p` for the point and `m` for the sign, and
# a name taken by another specialisation gets a suffix.
# CHECK-LABEL: model.def @Scaled_a_b_m1p5_true attributes {source = "Scaled", hparams = {tag = "a-b", scale = -1.500000e+00 : f64, flag = true}} {
# CHECK:       arith.constant dense<-1.500000e+00> : tensor<f32>
# CHECK-LABEL: model.def @Scaled_a_b_m1p5_true_2 attributes {source = "Scaled", hparams = {tag = "a_b", scale = -1.500000e+00 : f64, flag = true}} {
# CHECK-LABEL: model.def @Scaled_x_0p5_false attributes {source = "Scaled", hparams = {tag = "x", scale = 5.000000e-01 : f64, flag = false}} {
# CHECK:       arith.constant dense<5.000000e-01> : tensor<f32>

# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[A:%.*]] = model.instantiate @Classifier_64_128_10 : !model.model<"Classifier_64_128_10">
# CHECK-NEXT: [[B:%.*]] = model.instantiate @Classifier_64_128_10 : !model.model<"Classifier_64_128_10">
# CHECK-NEXT: [[C:%.*]] = model.instantiate @Classifier_64_128_3 : !model.model<"Classifier_64_128_3">
# CHECK-NEXT: [[D:%.*]] = model.instantiate @Scaled_a_b_m1p5_true : !model.model<"Scaled_a_b_m1p5_true">
# CHECK-NEXT: [[E:%.*]] = model.instantiate @Scaled_a_b_m1p5_true_2 : !model.model<"Scaled_a_b_m1p5_true_2">
# CHECK-NEXT: [[F:%.*]] = model.instantiate @Scaled_x_0p5_false : !model.model<"Scaled_x_0p5_false">
# CHECK-NEXT: func.return
