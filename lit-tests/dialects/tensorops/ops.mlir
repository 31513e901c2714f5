// RUN: %roundtrip %s | filecheck %s

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<?x4xf32>, %y: tensor<4xf32>, %i: tensor<2xi32>, %b: tensor<?x4xi1>) {
  // CHECK-NEXT: %0 = tensorops.exp %x : tensor<?x4xf32>
  // CHECK-NEXT: %1 = tensorops.log %x : tensor<?x4xf32>
  // CHECK-NEXT: %2 = tensorops.sqrt %x : tensor<?x4xf32>
  // CHECK-NEXT: %3 = tensorops.rsqrt %x : tensor<?x4xf32>
  // CHECK-NEXT: %4 = tensorops.sin %x : tensor<?x4xf32>
  // CHECK-NEXT: %5 = tensorops.cos %x : tensor<?x4xf32>
  // CHECK-NEXT: %6 = tensorops.tanh %x : tensor<?x4xf32>
  // CHECK-NEXT: %7 = tensorops.erf %x : tensor<?x4xf32>
  // CHECK-NEXT: %8 = tensorops.sigmoid %x : tensor<?x4xf32>
  // CHECK-NEXT: %9 = tensorops.neg %i : tensor<2xi32>
  // CHECK-NEXT: %10 = tensorops.abs %x : tensor<?x4xf32>
  // CHECK-NEXT: %11 = tensorops.not %b : tensor<?x4xi1>
  %0 = tensorops.exp %x : tensor<?x4xf32>
  %1 = tensorops.log %x : tensor<?x4xf32>
  %2 = tensorops.sqrt %x : tensor<?x4xf32>
  %3 = tensorops.rsqrt %x : tensor<?x4xf32>
  %4 = tensorops.sin %x : tensor<?x4xf32>
  %5 = tensorops.cos %x : tensor<?x4xf32>
  %6 = tensorops.tanh %x : tensor<?x4xf32>
  %7 = tensorops.erf %x : tensor<?x4xf32>
  %8 = tensorops.sigmoid %x : tensor<?x4xf32>
  %9 = tensorops.neg %i : tensor<2xi32>
  %10 = tensorops.abs %x : tensor<?x4xf32>
  %11 = tensorops.not %b : tensor<?x4xi1>
  // CHECK-NEXT: %12 = tensorops.add %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %13 = tensorops.sub %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %14 = tensorops.mul %y, %x : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %15 = tensorops.div %x, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %16 = tensorops.pow %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %17 = tensorops.maximum %i, %i : tensor<2xi32>, tensor<2xi32> -> tensor<2xi32>
  // CHECK-NEXT: %18 = tensorops.minimum %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %19 = tensorops.and %b, %b : tensor<?x4xi1>, tensor<?x4xi1> -> tensor<?x4xi1>
  // CHECK-NEXT: %20 = tensorops.or %b, %11 : tensor<?x4xi1>, tensor<?x4xi1> -> tensor<?x4xi1>
  %12 = tensorops.add %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %13 = tensorops.sub %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %14 = tensorops.mul %y, %x : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %15 = tensorops.div %x, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %16 = tensorops.pow %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %17 = tensorops.maximum %i, %i : tensor<2xi32>, tensor<2xi32> -> tensor<2xi32>
  %18 = tensorops.minimum %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %19 = tensorops.and %b, %b : tensor<?x4xi1>, tensor<?x4xi1> -> tensor<?x4xi1>
  %20 = tensorops.or %b, %11 : tensor<?x4xi1>, tensor<?x4xi1> -> tensor<?x4xi1>
  // CHECK-NEXT: %21 = tensorops.eq %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  // CHECK-NEXT: %22 = tensorops.ne %i, %i : tensor<2xi32>, tensor<2xi32> -> tensor<2xi1>
  // CHECK-NEXT: %23 = tensorops.lt %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  // CHECK-NEXT: %24 = tensorops.le %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  // CHECK-NEXT: %25 = tensorops.gt %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  // CHECK-NEXT: %26 = tensorops.ge %b, %b : tensor<?x4xi1>, tensor<?x4xi1> -> tensor<?x4xi1>
  // CHECK-NEXT: %27 = tensorops.select %21, %x, %y : tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %28 = tensorops.cast %x : tensor<?x4xf32> -> tensor<?x4xbf16>
  %21 = tensorops.eq %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  %22 = tensorops.ne %i, %i : tensor<2xi32>, tensor<2xi32> -> tensor<2xi1>
  %23 = tensorops.lt %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  %24 = tensorops.le %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  %25 = tensorops.gt %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  %26 = tensorops.ge %b, %b : tensor<?x4xi1>, tensor<?x4xi1> -> tensor<?x4xi1>
  %27 = tensorops.select %21, %x, %y : tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %28 = tensorops.cast %x : tensor<?x4xf32> -> tensor<?x4xbf16>
  func.return
}

// CHECK-LABEL: func.func @quantization
func.func @quantization(%w: tensor<64x32xf32>, %s: tensor<64x1xf32>) -> tensor<64x32xf32> {
  // CHECK-NEXT: %q = tensorops.quantize %w, %s : tensor<64x32xf32>, tensor<64x1xf32> -> tensor<64x32xi8>
  // CHECK-NEXT: %d = tensorops.dequantize %q, %s : tensor<64x32xi8>, tensor<64x1xf32> -> tensor<64x32xf32>
  %q = tensorops.quantize %w, %s : tensor<64x32xf32>, tensor<64x1xf32> -> tensor<64x32xi8>
  %d = tensorops.dequantize %q, %s : tensor<64x32xi8>, tensor<64x1xf32> -> tensor<64x32xf32>
  func.return %d : tensor<64x32xf32>
}

// One scale per row of batched activations; the int8 product accumulates in int32.
// CHECK-LABEL: func.func @int8_rows
func.func @int8_rows(%x: tensor<?x?x32xf32>, %s: tensor<?x?x1xf32>, %w: tensor<32x8xi8>) -> tensor<?x?x8xi32> {
  // CHECK-NEXT: %q = tensorops.quantize %x, %s : tensor<?x?x32xf32>, tensor<?x?x1xf32> -> tensor<?x?x32xi8>
  // CHECK-NEXT: %p = tensorops.matmul %q, %w : tensor<?x?x32xi8>, tensor<32x8xi8> -> tensor<?x?x8xi32>
  %q = tensorops.quantize %x, %s : tensor<?x?x32xf32>, tensor<?x?x1xf32> -> tensor<?x?x32xi8>
  %p = tensorops.matmul %q, %w : tensor<?x?x32xi8>, tensor<32x8xi8> -> tensor<?x?x8xi32>
  func.return %p : tensor<?x?x8xi32>
}

// CHECK-LABEL: func.func @contraction
func.func @contraction(%a: tensor<2x?x8xf32>, %b: tensor<8x3xf32>, %v: tensor<8xf32>, %img: tensor<?x3x9x9xf32>, %k: tensor<4x3x3x3xf32>) {
  // CHECK-NEXT: %0 = tensorops.matmul %a, %b : tensor<2x?x8xf32>, tensor<8x3xf32> -> tensor<2x?x3xf32>
  // CHECK-NEXT: %1 = tensorops.matmul %a, %v : tensor<2x?x8xf32>, tensor<8xf32> -> tensor<2x?xf32>
  // CHECK-NEXT: %2 = tensorops.conv2d %img, %k stride [2, 2] padding [1, 1] : tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x5x5xf32>
  // CHECK-NEXT: %3 = tensorops.max_pool2d %img kernel [3, 3] stride [3, 3] padding [0, 0] : tensor<?x3x9x9xf32> -> tensor<?x3x3x3xf32>
  // CHECK-NEXT: %4 = tensorops.avg_pool2d %img kernel [2, 2] stride [1, 1] padding [1, 1] : tensor<?x3x9x9xf32> -> tensor<?x3x10x10xf32>
  %0 = tensorops.matmul %a, %b : tensor<2x?x8xf32>, tensor<8x3xf32> -> tensor<2x?x3xf32>
  %1 = tensorops.matmul %a, %v : tensor<2x?x8xf32>, tensor<8xf32> -> tensor<2x?xf32>
  %2 = tensorops.conv2d %img, %k stride [2, 2] padding [1, 1] : tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x5x5xf32>
  %3 = tensorops.max_pool2d %img kernel [3, 3] stride [3, 3] padding [0, 0] : tensor<?x3x9x9xf32> -> tensor<?x3x3x3xf32>
  %4 = tensorops.avg_pool2d %img kernel [2, 2] stride [1, 1] padding [1, 1] : tensor<?x3x9x9xf32> -> tensor<?x3x10x10xf32>
  func.return
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<?x4x5xf32>, %i: tensor<3xi64>) {
  // CHECK-NEXT: %0 = tensorops.reduce_sum %x axes [1, 2] : tensor<?x4x5xf32> -> tensor<?xf32>
  // CHECK-NEXT: %1 = tensorops.reduce_mean %x axes [2] keepdim : tensor<?x4x5xf32> -> tensor<?x4x1xf32>
  // CHECK-NEXT: %2 = tensorops.reduce_max %x axes [0, 1, 2] : tensor<?x4x5xf32> -> tensor<f32>
  // CHECK-NEXT: %3 = tensorops.reduce_min %i axes [0] keepdim : tensor<3xi64> -> tensor<1xi64>
  // CHECK-NEXT: %4 = tensorops.argmax %x axis 2 keepdim : tensor<?x4x5xf32> -> tensor<?x4x1xi64>
  %0 = tensorops.reduce_sum %x axes [1, 2] : tensor<?x4x5xf32> -> tensor<?xf32>
  %1 = tensorops.reduce_mean %x axes [2] keepdim : tensor<?x4x5xf32> -> tensor<?x4x1xf32>
  %2 = tensorops.reduce_max %x axes [0, 1, 2] : tensor<?x4x5xf32> -> tensor<f32>
  %3 = tensorops.reduce_min %i axes [0] keepdim : tensor<3xi64> -> tensor<1xi64>
  %4 = tensorops.argmax %x axis 2 keepdim : tensor<?x4x5xf32> -> tensor<?x4x1xi64>
  func.return
}

// CHECK-LABEL: func.func @layout
func.func @layout(%x: tensor<?x4x6xf32>, %t: tensor<100x16xf32>, %ids: tensor<?x8xi32>, %y: tensor<1x6xf32>) {
  // CHECK-NEXT: %0 = tensorops.transpose %x [0, 2, 1] : tensor<?x4x6xf32> -> tensor<?x6x4xf32>
  // CHECK-NEXT: %1 = tensorops.reshape %x : tensor<?x4x6xf32> -> tensor<?x24xf32>
  // CHECK-NEXT: %2 = tensorops.broadcast_to %y : tensor<1x6xf32> -> tensor<2x4x6xf32>
  // CHECK-NEXT: %3 = tensorops.broadcast_to %x : tensor<?x4x6xf32> -> tensor<3x?x4x6xf32>
  // CHECK-NEXT: %4 = tensorops.gather %t[%ids] : tensor<100x16xf32>, tensor<?x8xi32> -> tensor<?x8x16xf32>
  // CHECK-NEXT: %5 = tensorops.concat %x, %x, %x axis 2 : tensor<?x4x6xf32>, tensor<?x4x6xf32>, tensor<?x4x6xf32> -> tensor<?x4x18xf32>
  // CHECK-NEXT: %6 = tensorops.slice %x[:, 1:3, ::2] : tensor<?x4x6xf32> -> tensor<?x2x3xf32>
  // CHECK-NEXT: %7 = tensorops.slice %x[-2:, :-1, 1:6:4] : tensor<?x4x6xf32> -> tensor<?x3x2xf32>
  %0 = tensorops.transpose %x [0, 2, 1] : tensor<?x4x6xf32> -> tensor<?x6x4xf32>
  %1 = tensorops.reshape %x : tensor<?x4x6xf32> -> tensor<?x24xf32>
  %2 = tensorops.broadcast_to %y : tensor<1x6xf32> -> tensor<2x4x6xf32>
  %3 = tensorops.broadcast_to %x : tensor<?x4x6xf32> -> tensor<3x?x4x6xf32>
  %4 = tensorops.gather %t[%ids] : tensor<100x16xf32>, tensor<?x8xi32> -> tensor<?x8x16xf32>
  %5 = tensorops.concat %x, %x, %x axis 2 : tensor<?x4x6xf32>, tensor<?x4x6xf32>, tensor<?x4x6xf32> -> tensor<?x4x18xf32>
  %6 = tensorops.slice %x[:, 1:3, ::2] : tensor<?x4x6xf32> -> tensor<?x2x3xf32>
  %7 = tensorops.slice %x[-2:, :-1, 1:6:4] : tensor<?x4x6xf32> -> tensor<?x3x2xf32>
  func.return
}

// CHECK-LABEL: func.func @dynamic_heads
func.func @dynamic_heads(%x: tensor<?x?x32xf32>, %s: tensor<?x4x?x?xf32>) {
  // CHECK-NEXT: %0 = tensorops.reshape_tail %x from 2 : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>
  // CHECK-NEXT: %1 = tensorops.reshape_tail %0 from 2 : tensor<?x?x4x8xf32> -> tensor<?x?x32xf32>
  // CHECK-NEXT: %2 = tensorops.iota %s axis 2 : tensor<?x4x?x?xf32> -> tensor<1x1x?x1xi64>
  // CHECK-NEXT: %3 = tensorops.iota %s axis 3 : tensor<?x4x?x?xf32> -> tensor<1x1x1x?xi32>
  // CHECK-NEXT: %4 = tensorops.dropout %x p 1.000000e-01 : tensor<?x?x32xf32>
  %0 = tensorops.reshape_tail %x from 2 : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>
  %1 = tensorops.reshape_tail %0 from 2 : tensor<?x?x4x8xf32> -> tensor<?x?x32xf32>
  %2 = tensorops.iota %s axis 2 : tensor<?x4x?x?xf32> -> tensor<1x1x?x1xi64>
  %3 = tensorops.iota %s axis 3 : tensor<?x4x?x?xf32> -> tensor<1x1x1x?xi32>
  %4 = tensorops.dropout %x p 0.1 : tensor<?x?x32xf32>
  func.return
}

// Two samples of one distribution are two ops: random ops are never merged.
// CHECK-LABEL: func.func @samples
func.func @samples() {
  // CHECK-NEXT: %0 = tensorops.random "normal" : tensor<2x3xf32>
  // CHECK-NEXT: %1 = tensorops.random "normal" : tensor<2x3xf32>
  // CHECK-NEXT: %2 = tensorops.random "uniform" seed 7 : tensor<4xf32>
  %0 = tensorops.random "normal" : tensor<2x3xf32>
  %1 = tensorops.random "normal" : tensor<2x3xf32>
  %2 = tensorops.random "uniform" seed 7 : tensor<4xf32>
  func.return
}

// CHECK-LABEL: func.func @constants
func.func @constants() {
  // CHECK-NEXT: %0 = tensorops.constant dense<1.000000e-05> : tensor<f32>
  // CHECK-NEXT: %1 = tensorops.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi64>
  // CHECK-NEXT: %2 = tensorops.constant dense<[true, false]> : tensor<2xi1>
  // CHECK-NEXT: %3 = tensorops.constant dense<5.000000e-01> : tensor<3xbf16>
  %0 = tensorops.constant dense<1.0e-5> : tensor<f32>
  %1 = tensorops.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %2 = tensorops.constant dense<[true, false]> : tensor<2xi1>
  %3 = tensorops.constant dense<0.5> : tensor<3xbf16>
  func.return
}
