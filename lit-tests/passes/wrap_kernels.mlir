// RUN: mopt %s -p wrap-kernels --mlir-pass-statistics 2>&1 | filecheck %s

// Every tensorops op left alone ends in a kernel: the kind that fits, else extern
// (PyTorch). Unused pure ops are dropped; constants are cloned into their readers;
// parameters, calls and returns stay.

// CHECK-LABEL: func.func @leftovers
// CHECK-NOT:     tensorops.constant
// CHECK:         [[G:%[a-z_0-9]+]] = kernel.extern(%t) : (tensor<5x4xf32>) -> tensor<3x4xf32> {
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      [[C:%[a-z_0-9]+]] = tensorops.constant dense<[0, 2, 1]>
// CHECK-NEXT:      tensorops.gather {{.*}}[[[C]]]
// CHECK:         [[E:%[a-z_0-9]+]] = kernel.pointwise([[G]])
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      tensorops.exp
// CHECK:         [[S:%[a-z_0-9]+]] = kernel.reduction([[E]])
// CHECK:         [[M:%[a-z_0-9]+]] = kernel.matmul([[E]], %w)
// CHECK:         [[A:%[a-z_0-9]+]] = kernel.extern([[E]])
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      tensorops.argmax {{.*}} axis 0
// CHECK:         [[R:%[a-z_0-9]+]] = kernel.reduction([[E]])
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      tensorops.argmax {{.*}} axis 1
// CHECK-NOT:       tensorops.neg
// CHECK:         func.return [[S]], [[M]], [[A]], [[R]]

// CHECK:       'wrap-kernels'
// CHECK-NEXT:    (S) 1 pointwise-kernels
// CHECK-NEXT:    (S) 2 reduction-kernels
// CHECK-NEXT:    (S) 1 matmul-kernels
// CHECK-NEXT:    (S) 0 attention-kernels
// CHECK-NEXT:    (S) 2 extern-kernels
func.func @leftovers(%t: tensor<5x4xf32>, %w: tensor<4x6xf32>) -> (tensor<3xf32>, tensor<3x6xf32>, tensor<4xi64>, tensor<3xi64>) {
  %ids = tensorops.constant dense<[0, 2, 1]> : tensor<3xi64>
  %g = tensorops.gather %t[%ids] : tensor<5x4xf32>, tensor<3xi64> -> tensor<3x4xf32>
  %e = tensorops.exp %g : tensor<3x4xf32>
  %s = tensorops.reduce_sum %e axes [1] : tensor<3x4xf32> -> tensor<3xf32>
  %m = tensorops.matmul %e, %w : tensor<3x4xf32>, tensor<4x6xf32> -> tensor<3x6xf32>
  %a = tensorops.argmax %e axis 0 : tensor<3x4xf32> -> tensor<4xi64>
  %r = tensorops.argmax %e axis 1 : tensor<3x4xf32> -> tensor<3xi64>
  %unused = tensorops.neg %e : tensor<3x4xf32>
  func.return %s, %m, %a, %r : tensor<3xf32>, tensor<3x6xf32>, tensor<4xi64>, tensor<3xi64>
}
