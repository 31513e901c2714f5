// RUN: %roundtrip %s | filecheck %s

// CHECK-LABEL: func.func @pointwise
// CHECK-NEXT:    %0 = kernel.pointwise(%x, %b) block_sizes [1024] autotune : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
// CHECK-NEXT:    ^bb0(%a: tensor<?x8xf32>, %c: tensor<8xf32>):
// CHECK-NEXT:      %s = tensorops.add %a, %c : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
// CHECK-NEXT:      %z = tensorops.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:      %r = tensorops.maximum %s, %z : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
// CHECK-NEXT:      kernel.yield %r : tensor<?x8xf32>
// CHECK-NEXT:    }
func.func @pointwise(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = kernel.pointwise(%x, %b) block_sizes [1024] autotune : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>, %c: tensor<8xf32>):
    %s = tensorops.add %a, %c : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %z = tensorops.constant dense<0.000000e+00> : tensor<f32>
    %r = tensorops.maximum %s, %z : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
    kernel.yield %r : tensor<?x8xf32>
  }
  func.return %0 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @reduction
// CHECK-NEXT:    %0, %1 = kernel.reduction(%x) block_sizes [8, 64] : (tensor<5x37xf32>) -> (tensor<5x37xf32>, tensor<5x1xf32>) {
// CHECK-NEXT:    ^bb0(%a: tensor<5x37xf32>):
// CHECK-NEXT:      %m = tensorops.reduce_max %a axes [1] keepdim : tensor<5x37xf32> -> tensor<5x1xf32>
// CHECK-NEXT:      %d = tensorops.sub %a, %m : tensor<5x37xf32>, tensor<5x1xf32> -> tensor<5x37xf32>
// CHECK-NEXT:      kernel.yield %d, %m : tensor<5x37xf32>, tensor<5x1xf32>
func.func @reduction(%x: tensor<5x37xf32>) -> tensor<5x37xf32> {
  %0, %1 = kernel.reduction(%x) block_sizes [8, 64] : (tensor<5x37xf32>) -> (tensor<5x37xf32>, tensor<5x1xf32>) {
  ^bb0(%a: tensor<5x37xf32>):
    %m = tensorops.reduce_max %a axes [1] keepdim : tensor<5x37xf32> -> tensor<5x1xf32>
    %d = tensorops.sub %a, %m : tensor<5x37xf32>, tensor<5x1xf32> -> tensor<5x37xf32>
    kernel.yield %d, %m : tensor<5x37xf32>, tensor<5x1xf32>
  }
  func.return %0 : tensor<5x37xf32>
}

// CHECK-LABEL: func.func @matmul
// CHECK-NEXT:    %0 = kernel.matmul(%w, %x, %b) block_sizes [64, 32, 32] : (tensor<32x64xf32>, tensor<?x64xf32>, tensor<32xf32>) -> tensor<?x32xf32> {
// CHECK-NEXT:    ^bb0(%w_1: tensor<32x64xf32>, %x_1: tensor<?x64xf32>, %b_1: tensor<32xf32>):
// CHECK-NEXT:      %t = tensorops.transpose %w_1 [1, 0] : tensor<32x64xf32> -> tensor<64x32xf32>
// CHECK-NEXT:      %m = tensorops.matmul %x_1, %t : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
// CHECK-NEXT:      %y = tensorops.add %m, %b_1 : tensor<?x32xf32>, tensor<32xf32> -> tensor<?x32xf32>
// CHECK-NEXT:      kernel.yield %y : tensor<?x32xf32>
func.func @matmul(%w: tensor<32x64xf32>, %x: tensor<?x64xf32>, %b: tensor<32xf32>) -> tensor<?x32xf32> {
  %0 = kernel.matmul(%w, %x, %b) block_sizes [64, 32, 32] : (tensor<32x64xf32>, tensor<?x64xf32>, tensor<32xf32>) -> tensor<?x32xf32> {
  ^bb0(%w_1: tensor<32x64xf32>, %x_1: tensor<?x64xf32>, %b_1: tensor<32xf32>):
    %t = tensorops.transpose %w_1 [1, 0] : tensor<32x64xf32> -> tensor<64x32xf32>
    %m = tensorops.matmul %x_1, %t : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
    %y = tensorops.add %m, %b_1 : tensor<?x32xf32>, tensor<32xf32> -> tensor<?x32xf32>
    kernel.yield %y : tensor<?x32xf32>
  }
  func.return %0 : tensor<?x32xf32>
}

// CHECK-LABEL: func.func @attention
// CHECK-NEXT:    %0 = kernel.attention(%q, %kt, %v) block_sizes [16, 16, 1] : (tensor<2x5x4xf32>, tensor<2x4x6xf32>, tensor<2x6x3xf32>) -> tensor<2x5x3xf32> {
// CHECK:           tensorops.matmul
// CHECK:           tensorops.mul
// CHECK:           tensorops.iota %{{.*}} axis 1
// CHECK:           tensorops.constant dense<"0x000080FF"> : tensor<f32>
// CHECK:           tensorops.select
// CHECK:           kernel.yield
func.func @attention(%q: tensor<2x5x4xf32>, %kt: tensor<2x4x6xf32>, %v: tensor<2x6x3xf32>) -> tensor<2x5x3xf32> {
  %0 = kernel.attention(%q, %kt, %v) block_sizes [16, 16, 1] : (tensor<2x5x4xf32>, tensor<2x4x6xf32>, tensor<2x6x3xf32>) -> tensor<2x5x3xf32> {
  ^bb0(%a: tensor<2x5x4xf32>, %b: tensor<2x4x6xf32>, %c: tensor<2x6x3xf32>):
    %s0 = tensorops.matmul %a, %b : tensor<2x5x4xf32>, tensor<2x4x6xf32> -> tensor<2x5x6xf32>
    %h = tensorops.constant dense<5.000000e-01> : tensor<f32>
    %s = tensorops.mul %s0, %h : tensor<2x5x6xf32>, tensor<f32> -> tensor<2x5x6xf32>
    %i = tensorops.iota %s axis 1 : tensor<2x5x6xf32> -> tensor<1x5x1xi64>
    %j = tensorops.iota %s axis 2 : tensor<2x5x6xf32> -> tensor<1x1x6xi64>
    %f = tensorops.gt %j, %i : tensor<1x1x6xi64>, tensor<1x5x1xi64> -> tensor<1x5x6xi1>
    %ninf = tensorops.constant dense<"0x000080FF"> : tensor<f32>
    %sm = tensorops.select %f, %ninf, %s : tensor<1x5x6xi1>, tensor<f32>, tensor<2x5x6xf32> -> tensor<2x5x6xf32>
    %m = tensorops.reduce_max %sm axes [2] keepdim : tensor<2x5x6xf32> -> tensor<2x5x1xf32>
    %d = tensorops.sub %sm, %m : tensor<2x5x6xf32>, tensor<2x5x1xf32> -> tensor<2x5x6xf32>
    %e = tensorops.exp %d : tensor<2x5x6xf32>
    %z = tensorops.reduce_sum %e axes [2] keepdim : tensor<2x5x6xf32> -> tensor<2x5x1xf32>
    %p = tensorops.div %e, %z : tensor<2x5x6xf32>, tensor<2x5x1xf32> -> tensor<2x5x6xf32>
    %o = tensorops.matmul %p, %c : tensor<2x5x6xf32>, tensor<2x6x3xf32> -> tensor<2x5x3xf32>
    kernel.yield %o : tensor<2x5x3xf32>
  }
  func.return %0 : tensor<2x5x3xf32>
}

// CHECK-LABEL: func.func @extern
// CHECK-NEXT:    %0 = kernel.extern(%x, %w) : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
// CHECK-NEXT:    ^bb0(%a: tensor<1x3x8x8xf32>, %b: tensor<4x3x3x3xf32>):
// CHECK-NEXT:      %c = tensorops.conv2d %a, %b stride [1, 1] padding [0, 0] : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
// CHECK-NEXT:      kernel.yield %c : tensor<1x4x6x6xf32>
func.func @extern(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = kernel.extern(%x, %w) : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x3x8x8xf32>, %b: tensor<4x3x3x3xf32>):
    %c = tensorops.conv2d %a, %b stride [1, 1] padding [0, 0] : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
    kernel.yield %c : tensor<1x4x6x6xf32>
  }
  func.return %0 : tensor<1x4x6x6xf32>
}
