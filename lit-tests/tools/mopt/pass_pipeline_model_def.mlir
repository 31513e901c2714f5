// RUN: mopt %s --pass-pipeline='builtin.module(model.def(lower-linear))' | filecheck %s
// RUN: mopt %s --pass-pipeline='builtin.module(model.def(func.func(lower-linear)))' \
// RUN:   | filecheck %s

// A lowering pass runs where a pipeline nests it: on each model.def, or on each method
// of one (it used to look for model.defs inside the op it was given, and found none).

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @fc.weight : tensor<3x4xf32> init "uniform"(5.000000e-01 : f64)
  model.param @fc.bias : tensor<3xf32> init "zeros"(0.000000e+00 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
    %w = model.get_param @fc.weight : tensor<3x4xf32>
    %b = model.get_param @fc.bias : tensor<3xf32>
    %y = model.linear %x, %w, %b : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    func.return %y : tensor<?x3xf32>
  }
}

// CHECK-LABEL: func.func @forward
// CHECK-NOT:     model.linear
// CHECK:         tensorops.transpose
// CHECK:         tensorops.matmul
// CHECK:         tensorops.add
