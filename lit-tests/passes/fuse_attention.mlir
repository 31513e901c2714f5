// RUN: mopt %s -p fuse-attention --split-input-file | filecheck %s

// Causal attention as `lower-attention` emits it (2 heads of 4): one kernel, whose
// inputs are the projections; the head split and merge are views.

// CHECK-LABEL: func.func @causal
// CHECK-NEXT:    [[O:%[a-z_0-9]+]] = kernel.attention(%q, %k, %v) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
// CHECK:           tensorops.reshape_tail
// CHECK:           tensorops.transpose {{.*}} [0, 2, 1, 3]
// CHECK:           tensorops.transpose {{.*}} [0, 2, 3, 1]
// CHECK:           tensorops.matmul
// CHECK:           tensorops.mul
// CHECK:           tensorops.iota {{.*}} axis 2
// CHECK:           tensorops.iota {{.*}} axis 3
// CHECK:           tensorops.gt
// CHECK:           tensorops.select
// CHECK:           tensorops.reduce_max
// CHECK:           tensorops.exp
// CHECK:           tensorops.reduce_sum
// CHECK:           tensorops.div
// CHECK:           tensorops.matmul
// CHECK-NEXT:      tensorops.transpose {{.*}} [0, 2, 1, 3]
// CHECK-NEXT:      [[Y:%[a-z_0-9]+]] = tensorops.reshape_tail
// CHECK-NEXT:      kernel.yield [[Y]]
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return [[O]]
func.func @causal(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %qs = tensorops.reshape_tail %q from 2 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %qh = tensorops.transpose %qs [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
  %ks = tensorops.reshape_tail %k from 2 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %kt = tensorops.transpose %ks [0, 2, 3, 1] : tensor<?x?x2x4xf32> -> tensor<?x2x4x?xf32>
  %vs = tensorops.reshape_tail %v from 2 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %vh = tensorops.transpose %vs [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
  %s0 = tensorops.matmul %qh, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %c = tensorops.constant dense<5.000000e-01> : tensor<f32>
  %s = tensorops.mul %s0, %c : tensor<?x2x?x?xf32>, tensor<f32> -> tensor<?x2x?x?xf32>
  %i = tensorops.iota %s axis 2 : tensor<?x2x?x?xf32> -> tensor<1x1x?x1xi64>
  %j = tensorops.iota %s axis 3 : tensor<?x2x?x?xf32> -> tensor<1x1x1x?xi64>
  %f = tensorops.gt %j, %i : tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64> -> tensor<1x1x?x?xi1>
  %ni = tensorops.constant dense<"0x000080FF"> : tensor<f32>
  %sm = tensorops.select %f, %ni, %s : tensor<1x1x?x?xi1>, tensor<f32>, tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %m = tensorops.reduce_max %sm axes [3] keepdim : tensor<?x2x?x?xf32> -> tensor<?x2x?x1xf32>
  %d = tensorops.sub %sm, %m : tensor<?x2x?x?xf32>, tensor<?x2x?x1xf32> -> tensor<?x2x?x?xf32>
  %e = tensorops.exp %d : tensor<?x2x?x?xf32>
  %z = tensorops.reduce_sum %e axes [3] keepdim : tensor<?x2x?x?xf32> -> tensor<?x2x?x1xf32>
  %p = tensorops.div %e, %z : tensor<?x2x?x?xf32>, tensor<?x2x?x1xf32> -> tensor<?x2x?x?xf32>
  %o = tensorops.matmul %p, %vh : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  %ot = tensorops.transpose %o [0, 2, 1, 3] : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
  %om = tensorops.reshape_tail %ot from 2 : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
  func.return %om : tensor<?x?x8xf32>
}

// -----

// Without mask or scale, on plain 3-d inputs.

// CHECK-LABEL: func.func @plain
// CHECK-NEXT:    kernel.attention(%q, %kt, %v)
// CHECK-NOT:       tensorops.select
// CHECK:           kernel.yield
func.func @plain(%q: tensor<2x5x4xf32>, %kt: tensor<2x4x6xf32>, %v: tensor<2x6x3xf32>) -> tensor<2x5x3xf32> {
  %s = tensorops.matmul %q, %kt : tensor<2x5x4xf32>, tensor<2x4x6xf32> -> tensor<2x5x6xf32>
  %m = tensorops.reduce_max %s axes [2] keepdim : tensor<2x5x6xf32> -> tensor<2x5x1xf32>
  %d = tensorops.sub %s, %m : tensor<2x5x6xf32>, tensor<2x5x1xf32> -> tensor<2x5x6xf32>
  %e = tensorops.exp %d : tensor<2x5x6xf32>
  %z = tensorops.reduce_sum %e axes [2] keepdim : tensor<2x5x6xf32> -> tensor<2x5x1xf32>
  %p = tensorops.div %e, %z : tensor<2x5x6xf32>, tensor<2x5x1xf32> -> tensor<2x5x6xf32>
  %o = tensorops.matmul %p, %v : tensor<2x5x6xf32>, tensor<2x6x3xf32> -> tensor<2x5x3xf32>
  func.return %o : tensor<2x5x3xf32>
}

// -----

// The probabilities are also returned: not fused (they would have to be stored).

// CHECK-LABEL: func.func @probabilities_escape
// CHECK-NOT:     kernel.attention
func.func @probabilities_escape(%q: tensor<2x5x4xf32>, %kt: tensor<2x4x6xf32>, %v: tensor<2x6x3xf32>) -> (tensor<2x5x3xf32>, tensor<2x5x6xf32>) {
  %s = tensorops.matmul %q, %kt : tensor<2x5x4xf32>, tensor<2x4x6xf32> -> tensor<2x5x6xf32>
  %m = tensorops.reduce_max %s axes [2] keepdim : tensor<2x5x6xf32> -> tensor<2x5x1xf32>
  %d = tensorops.sub %s, %m : tensor<2x5x6xf32>, tensor<2x5x1xf32> -> tensor<2x5x6xf32>
  %e = tensorops.exp %d : tensor<2x5x6xf32>
  %z = tensorops.reduce_sum %e axes [2] keepdim : tensor<2x5x6xf32> -> tensor<2x5x1xf32>
  %p = tensorops.div %e, %z : tensor<2x5x6xf32>, tensor<2x5x1xf32> -> tensor<2x5x6xf32>
  %o = tensorops.matmul %p, %v : tensor<2x5x6xf32>, tensor<2x6x3xf32> -> tensor<2x5x3xf32>
  func.return %o, %p : tensor<2x5x3xf32>, tensor<2x5x6xf32>
}
