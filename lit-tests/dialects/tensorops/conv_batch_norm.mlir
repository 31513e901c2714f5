// RUN: mopt %s | filecheck %s
// RUN: mopt %s | mopt | filecheck %s

// conv2d's optional dilation and groups, batch_norm, and gather's padding row print and
// parse back.

func.func @ops(%x: tensor<?x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %c: tensor<4xf32>,
               %n: tensor<i64>, %table: tensor<16x8xf32>, %ids: tensor<?x5xi64>) {
// CHECK: tensorops.conv2d %x, %w stride [1, 1] padding [2, 2] dilation [2, 2] groups 2 : tensor<?x4x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<?x6x8x8xf32>
  %0 = tensorops.conv2d %x, %w stride [1, 1] padding [2, 2] dilation [2, 2] groups 2 : tensor<?x4x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<?x6x8x8xf32>
// CHECK-NEXT: tensorops.conv2d %x, %w stride [1, 1] padding [0, 0] groups 2 : tensor<?x4x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<?x6x6x6xf32>
  %1 = tensorops.conv2d %x, %w stride [1, 1] padding [0, 0] groups 2 : tensor<?x4x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<?x6x6x6xf32>
// CHECK-NEXT: tensorops.batch_norm %x, %c, %c, %c, %c, %n eps 1.000000e-05 momentum 1.000000e-01 : tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i64>
  %2 = tensorops.batch_norm %x, %c, %c, %c, %c, %n eps 1.000000e-05 momentum 1.000000e-01 : tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i64>
// CHECK-NEXT: tensorops.gather %table[%ids] padding_idx 0 : tensor<16x8xf32>, tensor<?x5xi64> -> tensor<?x5x8xf32>
  %3 = tensorops.gather %table[%ids] padding_idx 0 : tensor<16x8xf32>, tensor<?x5xi64> -> tensor<?x5x8xf32>
  func.return
}
