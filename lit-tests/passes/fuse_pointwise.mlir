// RUN: mopt %s -p fuse-pointwise --split-input-file | filecheck %s

// A chain of elementwise ops with a broadcast bias and a splat becomes one kernel; the
// transpose that only the chain reads is a host-side view of the kernel's input.

// CHECK-LABEL: func.func @chain
// CHECK-NEXT:    [[Y:%[a-z_0-9]+]] = kernel.pointwise(%m, %x, %b) : (tensor<8x?xf32>, tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
// CHECK-NEXT:    ^bb0([[M:%[a-z_0-9]+]]: tensor<8x?xf32>, [[X:%[a-z_0-9]+]]: tensor<?x8xf32>, [[B:%[a-z_0-9]+]]: tensor<8xf32>):
// CHECK-NEXT:      [[MT:%[a-z_0-9]+]] = tensorops.transpose [[M]] [1, 0]
// CHECK-NEXT:      [[S:%[a-z_0-9]+]] = tensorops.add [[X]], [[B]]
// CHECK-NEXT:      [[Z:%[a-z_0-9]+]] = tensorops.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:      [[R:%[a-z_0-9]+]] = tensorops.maximum [[S]], [[Z]]
// CHECK-NEXT:      [[E:%[a-z_0-9]+]] = tensorops.mul [[R]], [[MT]]
// CHECK-NEXT:      kernel.yield [[E]] : tensor<?x8xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return [[Y]]
func.func @chain(%x: tensor<?x8xf32>, %b: tensor<8xf32>, %m: tensor<8x?xf32>) -> tensor<?x8xf32> {
  %mt = tensorops.transpose %m [1, 0] : tensor<8x?xf32> -> tensor<?x8xf32>
  %s = tensorops.add %x, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %z = tensorops.constant dense<0.000000e+00> : tensor<f32>
  %r = tensorops.maximum %s, %z : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %e = tensorops.mul %r, %mt : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  func.return %e : tensor<?x8xf32>
}

// -----

// A value read outside the chain ends a kernel: %a is stored, and the chain after it is
// a second kernel. Non-elementwise ops stay as they are.

// CHECK-LABEL: func.func @shared
// CHECK:         [[A:%[a-z_0-9]+]] = kernel.pointwise(%x)
// CHECK:           tensorops.exp
// CHECK:         tensorops.reduce_sum [[A]]
// CHECK:         kernel.pointwise([[A]])
// CHECK:           tensorops.neg
// CHECK:           tensorops.tanh
// CHECK-NOT:     kernel.pointwise
func.func @shared(%x: tensor<4x4xf32>) -> (tensor<4xf32>, tensor<4x4xf32>) {
  %a = tensorops.exp %x : tensor<4x4xf32>
  %s = tensorops.reduce_sum %a axes [1] : tensor<4x4xf32> -> tensor<4xf32>
  %n = tensorops.neg %a : tensor<4x4xf32>
  %t = tensorops.tanh %n : tensor<4x4xf32>
  func.return %s, %t : tensor<4xf32>, tensor<4x4xf32>
}

// -----

// A producer whose result is smaller than the consumer's joins it (it is recomputed per
// element); an output reshape that alone reads the result becomes an output view.

// CHECK-LABEL: func.func @broadcast_and_view
// CHECK:         kernel.pointwise(%w, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<6xf32>
// CHECK:           tensorops.sqrt
// CHECK:           tensorops.mul
// CHECK:           tensorops.reshape
// CHECK:           kernel.yield
func.func @broadcast_and_view(%x: tensor<2x3xf32>, %w: tensor<3xf32>) -> tensor<6xf32> {
  %r = tensorops.sqrt %w : tensor<3xf32>
  %y = tensorops.mul %x, %r : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %f = tensorops.reshape %y : tensor<2x3xf32> -> tensor<6xf32>
  func.return %f : tensor<6xf32>
}
