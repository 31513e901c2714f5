// RUN: mopt %s | filecheck %s
// RUN: mopt %s | mopt | filecheck %s

// The layer ops of M 0.2 print and parse back: conv1d, conv2d with pad_end, dilation and
// groups, batch norm with its running statistics, group norm, adaptive average pooling,
// layer norm without a bias, an embedding's padding row and padded max pooling.

func.func @layers(%x: tensor<?x4x9xf32>, %w1: tensor<6x2x3xf32>, %img: tensor<?x4x8x8xf32>,
                  %w2: tensor<4x2x2x2xf32>, %c: tensor<4xf32>, %n: tensor<i64>,
                  %seq: tensor<?x5x4xf32>, %ids: tensor<?x5xi64>, %table: tensor<16x8xf32>) {
// CHECK: model.conv1d %x, %w1 {stride = 2 : i64, padding = 1 : i64, groups = 2 : i64} : (tensor<?x4x9xf32>, tensor<6x2x3xf32>) -> tensor<?x6x5xf32>
  %0 = model.conv1d %x, %w1 {stride = 2 : i64, padding = 1 : i64, groups = 2 : i64} : (tensor<?x4x9xf32>, tensor<6x2x3xf32>) -> tensor<?x6x5xf32>
// CHECK-NEXT: model.conv2d %img, %w2, %c {stride = 1 : i64, padding = 1 : i64, pad_end = 2 : i64, dilation = 3 : i64, groups = 2 : i64} : (tensor<?x4x8x8xf32>, tensor<4x2x2x2xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %1 = model.conv2d %img, %w2, %c {stride = 1 : i64, padding = 1 : i64, pad_end = 2 : i64, dilation = 3 : i64, groups = 2 : i64} : (tensor<?x4x8x8xf32>, tensor<4x2x2x2xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: model.batch_norm %img, %c, %c, %c, %c, %n {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i64>) -> tensor<?x4x8x8xf32>
  %2 = model.batch_norm %img, %c, %c, %c, %c, %n {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i64>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: model.group_norm %img, %c, %c {groups = 2 : i64, eps = 1.000000e-05 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %3 = model.group_norm %img, %c, %c {groups = 2 : i64, eps = 1.000000e-05 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: model.adaptive_avg_pool2d %img {size = array<i64: 3, 1>} : tensor<?x4x8x8xf32> -> tensor<?x4x3x1xf32>
  %4 = model.adaptive_avg_pool2d %img {size = array<i64: 3, 1>} : tensor<?x4x8x8xf32> -> tensor<?x4x3x1xf32>
// CHECK-NEXT: model.layer_norm %seq, %c {eps = 1.000000e-05 : f64} : (tensor<?x5x4xf32>, tensor<4xf32>) -> tensor<?x5x4xf32>
  %5 = model.layer_norm %seq, %c {eps = 1.000000e-05 : f64} : (tensor<?x5x4xf32>, tensor<4xf32>) -> tensor<?x5x4xf32>
// CHECK-NEXT: model.embedding %ids, %table {padding_idx = 2 : i64} : (tensor<?x5xi64>, tensor<16x8xf32>) -> tensor<?x5x8xf32>
  %6 = model.embedding %ids, %table {padding_idx = 2 : i64} : (tensor<?x5xi64>, tensor<16x8xf32>) -> tensor<?x5x8xf32>
// CHECK-NEXT: model.max_pool2d %img {kernel = 3 : i64, stride = 2 : i64, padding = 1 : i64} : tensor<?x4x8x8xf32> -> tensor<?x4x4x4xf32>
  %7 = model.max_pool2d %img {kernel = 3 : i64, stride = 2 : i64, padding = 1 : i64} : tensor<?x4x8x8xf32> -> tensor<?x4x4x4xf32>
  func.return
}
