// RUN: mopt %s -p lower-conv-pool | filecheck %s

// conv2d becomes tensorops.conv2d plus the bias reshaped to [C, 1, 1]; pooling its twin.

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @conv.weight : tensor<4x3x3x3xf32> init "uniform"(1.900000e-01 : f64)
  model.param @conv.bias : tensor<4xf32> init "uniform"(1.900000e-01 : f64)
  func.func @forward(%x: tensor<?x3x9x8xf32>) -> tensor<?x4x5x4xf32> {
    %w = model.get_param @conv.weight : tensor<4x3x3x3xf32>
    %b = model.get_param @conv.bias : tensor<4xf32>
    %y = model.conv2d %x, %w, %b {stride = 2 : i64, padding = 1 : i64} : (tensor<?x3x9x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x5x4xf32>
    func.return %y : tensor<?x4x5x4xf32>
  }
  func.func @without_bias(%x: tensor<1x3x5x5xf32>) -> tensor<1x4x3x3xf32> {
    %w = model.get_param @conv.weight : tensor<4x3x3x3xf32>
    %y = model.conv2d %x, %w {stride = 1 : i64, padding = 0 : i64} : (tensor<1x3x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x3x3xf32>
    func.return %y : tensor<1x4x3x3xf32>
  }
  func.func @pools(%x: tensor<?x3x9x8xf32>) -> (tensor<?x3x4x4xf32>, tensor<?x3x4x3xf32>) {
    %m = model.max_pool2d %x {kernel = 2 : i64, stride = 2 : i64} : tensor<?x3x9x8xf32> -> tensor<?x3x4x4xf32>
    %a = model.avg_pool2d %x {kernel = 3 : i64, stride = 2 : i64} : tensor<?x3x9x8xf32> -> tensor<?x3x4x3xf32>
    func.return %m, %a : tensor<?x3x4x4xf32>, tensor<?x3x4x3xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    %w = model.get_param @conv.weight : tensor<4x3x3x3xf32>
// CHECK-NEXT:    %b = model.get_param @conv.bias : tensor<4xf32>
// CHECK-NEXT:    [[CONV2D:%.*]] = tensorops.conv2d %x, %w stride [2, 2] padding [1, 1] : tensor<?x3x9x8xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x5x4xf32>
// CHECK-NEXT:    [[BIAS:%.*]] = tensorops.reshape %b : tensor<4xf32> -> tensor<4x1x1xf32>
// CHECK-NEXT:    %y = tensorops.add [[CONV2D]], [[BIAS]] : tensor<?x4x5x4xf32>, tensor<4x1x1xf32> -> tensor<?x4x5x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4x5x4xf32>

// CHECK-LABEL: func.func @without_bias(
// CHECK-NEXT:    %w = model.get_param @conv.weight : tensor<4x3x3x3xf32>
// CHECK-NEXT:    %y = tensorops.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<1x3x5x5xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x3x3xf32>
// CHECK-NEXT:    func.return %y : tensor<1x4x3x3xf32>

// CHECK-LABEL: func.func @pools(
// CHECK-NEXT:    %m = tensorops.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<?x3x9x8xf32> -> tensor<?x3x4x4xf32>
// CHECK-NEXT:    %a = tensorops.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [0, 0] : tensor<?x3x9x8xf32> -> tensor<?x3x4x3xf32>
// CHECK-NEXT:    func.return %m, %a : tensor<?x3x4x4xf32>, tensor<?x3x4x3xf32>

