// RUN: mopt %s --split-input-file --verify-diagnostics

// The verifier errors of the layer ops of M 0.2.

func.func @f(%x: tensor<?x6x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error@+1 {{model.conv2d: conv2d expects 4 input channels, got [?, 6, 8, 8]}}
  %0 = model.conv2d %x, %w {stride = 1 : i64, padding = 0 : i64, groups = 2 : i64} : (tensor<?x6x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<?x6x6x6xf32>
  func.return
}

// -----

func.func @f(%x: tensor<?x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error@+1 {{model.conv2d: 6 output channels do not split into 4 groups}}
  %0 = model.conv2d %x, %w {stride = 1 : i64, padding = 0 : i64, groups = 4 : i64} : (tensor<?x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<?x6x6x6xf32>
  func.return
}

// -----

func.func @f(%x: tensor<?x4x8xf32>, %w: tensor<4x4x2xf32>) {
  // expected-error@+1 {{model.conv1d: pad_end must be padding plus a whole number of strides}}
  %0 = model.conv1d %x, %w {stride = 2 : i64, padding = 0 : i64, pad_end = 1 : i64} : (tensor<?x4x8xf32>, tensor<4x4x2xf32>) -> tensor<?x4x4xf32>
  func.return
}

// -----

func.func @f(%x: tensor<?x4x8xf32>, %c: tensor<4xf32>, %d: tensor<3xf32>, %n: tensor<i64>) {
  // expected-error@+1 {{model.batch_norm: weight, bias and running statistics must be 1-d of equal size}}
  %0 = model.batch_norm %x, %c, %c, %d, %c, %n {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x4x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>, tensor<4xf32>, tensor<i64>) -> tensor<?x4x8xf32>
  func.return
}

// -----

func.func @f(%x: tensor<?x3x8xf32>, %c: tensor<4xf32>, %n: tensor<i64>) {
  // expected-error@+1 {{model.batch_norm: expects [N, 4, ...], got [?, 3, 8]}}
  %0 = model.batch_norm %x, %c, %c, %c, %c, %n {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x3x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i64>) -> tensor<?x3x8xf32>
  func.return
}

// -----

func.func @f(%x: tensor<?x6x8xf32>, %c: tensor<6xf32>) {
  // expected-error@+1 {{model.group_norm: 6 channels do not split into 4 groups}}
  %0 = model.group_norm %x, %c, %c {groups = 4 : i64, eps = 1.000000e-05 : f64} : (tensor<?x6x8xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x8xf32>
  func.return
}

// -----

func.func @f(%x: tensor<?x3x8x8xf32>) {
  // expected-error@+1 {{model.adaptive_avg_pool2d: size must be two sizes >= 1}}
  %0 = model.adaptive_avg_pool2d %x {size = array<i64: 0, 1>} : tensor<?x3x8x8xf32> -> tensor<?x3x0x1xf32>
  func.return
}
