// RUN: mopt %s -p 'calibrate{dataset=iris}' | filecheck %s
// RUN: mopt %s -p 'calibrate{dataset=iris},quantize{mode=static}' | filecheck %s --check-prefix=STATIC

// A layer called twice has two sites, each with its own range: the second sees the
// features times 100 (`fc.weight#1`), and each quantizes with its own scale.

// CHECK:       model.def @Twice attributes {source = "Twice", hparams = {}, calibration = {fc.weight = 7.900000e+00 : f32, "fc.weight#1" = 7.900000e+02 : f32}}
// STATIC-LABEL: model.def @Twice
// STATIC:       [[SMALL:%.+]] = tensorops.constant dense<0.062204726> : tensor<f32>
// STATIC-NEXT:  tensorops.quantize %x, [[SMALL]]
// STATIC:       [[BIG:%.+]] = tensorops.constant dense<6.22047234> : tensor<f32>
// STATIC-NEXT:  tensorops.quantize %big, [[BIG]]

model.def @Twice attributes {source = "Twice", hparams = {}} {
  model.param @fc.weight : tensor<3x4xf32> init "uniform"(5.000000e-01 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
    %w = model.get_param @fc.weight : tensor<3x4xf32>
    %wt = tensorops.transpose %w [1, 0] : tensor<3x4xf32> -> tensor<4x3xf32>
    %small = tensorops.matmul %x, %wt : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %hundred = tensorops.constant dense<1.000000e+02> : tensor<f32>
    %big = tensorops.mul %x, %hundred : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
    %large = tensorops.matmul %big, %wt : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    func.return %small, %large : tensor<?x3xf32>, tensor<?x3xf32>
  }
}
