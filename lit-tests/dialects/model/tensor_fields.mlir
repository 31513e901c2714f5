// RUN: %roundtrip %s | filecheck %s

// Tensor fields (M 0.2): a `param` drawn "full", a buffer (the `{buffer}` attribute), a
// tie of two parameters, and load_weights with every option, printed, reparsed from the
// generic format and printed again.

// CHECK-LABEL: model.def @LM attributes {source = "LM", hparams = {}} {
model.def @LM attributes {source = "LM", hparams = {}} {
// CHECK-NEXT: model.param @wte.weight : tensor<10x4xf32> init "normal"(1.000000e+00 : f64)
  model.param @wte.weight : tensor<10x4xf32> init "normal"(1.000000e+00 : f64)
// CHECK-NEXT: model.param @scale : tensor<4xf32> init "full"(2.000000e+00 : f64) {buffer}
  model.param @scale : tensor<4xf32> init "full"(2.000000e+00 : f64) {buffer}
// CHECK-NEXT: model.param @lm_head.weight : tensor<10x4xf32> init "uniform"(5.000000e-01 : f64)
  model.param @lm_head.weight : tensor<10x4xf32> init "uniform"(5.000000e-01 : f64)
// CHECK-NEXT: model.tie @lm_head.weight = @wte.weight
  model.tie @lm_head.weight = @wte.weight
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x10xf32> {
    %w = model.get_param @lm_head.weight : tensor<10x4xf32>
    %y = model.linear %x, %w : (tensor<?x4xf32>, tensor<10x4xf32>) -> tensor<?x10xf32>
    func.return %y : tensor<?x10xf32>
  }
}

// CHECK-LABEL: func.func @main
func.func @main() {
  %m = model.instantiate @LM : !model.model<"LM">
  %p = model.str "w.safetensors"
// CHECK: model.load_weights %{{.*}}, %{{.*}} field "transformer" prefix "model." rename {h = "blocks"} transpose ["c_fc.weight"] lenient : !model.model<"LM">, !model.str
  model.load_weights %m, %p field "transformer" prefix "model." rename {h = "blocks"} transpose ["c_fc.weight"] lenient : !model.model<"LM">, !model.str
// CHECK-NEXT: model.load_weights %{{.*}}, %{{.*}} : !model.model<"LM">, !model.str
  model.load_weights %m, %p : !model.model<"LM">, !model.str
  func.return
}
