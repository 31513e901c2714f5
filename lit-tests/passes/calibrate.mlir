// RUN: mopt %s -p 'calibrate{dataset=iris}' | filecheck %s
// RUN: mopt %s -p 'calibrate{dataset=iris backend=torch}' | filecheck %s
// RUN: mopt %s -p 'calibrate{dataset=iris percentile=50.0 samples=150}' | filecheck %s --check-prefix=MEDIAN
// RUN: mopt %s -p 'calibrate{dataset=iris},quantize{mode=static}' | filecheck %s --check-prefix=STATIC
// RUN: python -c "import torch, safetensors.torch as s; s.save_file({'fc1.weight': torch.full((8, 4), 0.5), 'fc2.weight': torch.full((3, 8), 0.25)}, '%t.safetensors')"
// RUN: mopt %s -p 'calibrate{dataset=iris weights="%t.safetensors"}' | filecheck %s --check-prefix=WEIGHTS
// RUN: not mopt %s -p calibrate 2>&1 | filecheck %s --check-prefix=NODATA
// RUN: not mopt %s -p 'calibrate{dataset=iris percentile=0.0}' 2>&1 | filecheck %s --check-prefix=PCT
// RUN: not mopt %S/../frontend/sequential_model.m -p 'calibrate{dataset=iris}' 2>&1 | filecheck %s --check-prefix=LEVEL

// Two linear layers, fresh weights (seed 0), the 150 rows of iris: fc1 sees the features
// themselves, whose largest magnitude is 7.9; fc2 sees the hidden layer.

// CHECK:  model.def @Net attributes {source = "Net", hparams = {}, calibration = {fc1.weight = 7.900000e+00 : f32, fc2.weight = {{[0-9.e+-]+}} : f32}}
// With weights from a file (all 0.5 in fc1): fc2 sees half of each row's sum, at most 10.2.
// WEIGHTS: calibration = {fc1.weight = 7.900000e+00 : f32, fc2.weight = 1.020000e+01 : f32}
// MEDIAN: calibration = {fc1.weight = 3.200000e+00 : f32, fc2.weight = {{[0-9.e+-]+}} : f32}

// STATIC:      quantization = "static"
// STATIC:      [[XS:%.+]] = tensorops.constant dense<0.062204726> : tensor<f32>
// STATIC-NEXT: tensorops.quantize %x, [[XS]]

// NODATA: calibrate.mlir:[[# @LINE + 4]]:1: error: calibrate: needs a data set: calibrate{dataset=digits} (a bundled name or a .csv or .npz path)
// PCT:    error: invalid options for pass 'calibrate': percentile must be in (0, 100], got 0.0
// LEVEL:  error: calibrate: {{.*}} is not a tensor op: run lower-to-tensor first

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @fc1.weight : tensor<8x4xf32> init "uniform"(5.000000e-01 : f64)
  model.param @fc2.weight : tensor<3x8xf32> init "uniform"(5.000000e-01 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
    %w1 = model.get_param @fc1.weight : tensor<8x4xf32>
    %w1t = tensorops.transpose %w1 [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
    %h = tensorops.matmul %x, %w1t : tensor<?x4xf32>, tensor<4x8xf32> -> tensor<?x8xf32>
    %w2 = model.get_param @fc2.weight : tensor<3x8xf32>
    %w2t = tensorops.transpose %w2 [1, 0] : tensor<3x8xf32> -> tensor<8x3xf32>
    %y = tensorops.matmul %h, %w2t : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
    func.return %y : tensor<?x3xf32>
  }
}
