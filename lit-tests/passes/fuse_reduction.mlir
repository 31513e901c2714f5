// RUN: mopt %s -p fuse-reduction --split-input-file | filecheck %s

// Layer norm, as `lower-norms` emits it, with its affine tail: one kernel.

// CHECK-LABEL: func.func @layer_norm
// CHECK-NEXT:    [[Y:%[a-z_0-9]+]] = kernel.reduction(%x, %w, %b) : (tensor<?x7x20xf32>, tensor<20xf32>, tensor<20xf32>) -> tensor<?x7x20xf32> {
// CHECK:           tensorops.reduce_mean {{.*}} axes [2] keepdim
// CHECK:           tensorops.sub
// CHECK:           tensorops.mul
// CHECK:           tensorops.reduce_mean {{.*}} axes [2] keepdim
// CHECK:           tensorops.rsqrt
// CHECK:           tensorops.mul
// CHECK:           tensorops.mul
// CHECK:           [[OUT:%[a-z_0-9]+]] = tensorops.add
// CHECK-NEXT:      kernel.yield [[OUT]] : tensor<?x7x20xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return [[Y]]
func.func @layer_norm(%x: tensor<?x7x20xf32>, %w: tensor<20xf32>, %b: tensor<20xf32>) -> tensor<?x7x20xf32> {
  %0 = tensorops.reduce_mean %x axes [2] keepdim : tensor<?x7x20xf32> -> tensor<?x7x1xf32>
  %1 = tensorops.sub %x, %0 : tensor<?x7x20xf32>, tensor<?x7x1xf32> -> tensor<?x7x20xf32>
  %2 = tensorops.mul %1, %1 : tensor<?x7x20xf32>, tensor<?x7x20xf32> -> tensor<?x7x20xf32>
  %3 = tensorops.reduce_mean %2 axes [2] keepdim : tensor<?x7x20xf32> -> tensor<?x7x1xf32>
  %4 = tensorops.constant dense<1.000000e-05> : tensor<f32>
  %5 = tensorops.add %3, %4 : tensor<?x7x1xf32>, tensor<f32> -> tensor<?x7x1xf32>
  %6 = tensorops.rsqrt %5 : tensor<?x7x1xf32>
  %7 = tensorops.mul %1, %6 : tensor<?x7x20xf32>, tensor<?x7x1xf32> -> tensor<?x7x20xf32>
  %8 = tensorops.mul %7, %w : tensor<?x7x20xf32>, tensor<20xf32> -> tensor<?x7x20xf32>
  %9 = tensorops.add %8, %b : tensor<?x7x20xf32>, tensor<20xf32> -> tensor<?x7x20xf32>
  func.return %9 : tensor<?x7x20xf32>
}

// -----

// Softmax and log-softmax of one input share one kernel with two results.

// CHECK-LABEL: func.func @softmax
// CHECK-NEXT:    [[P:%[a-z_0-9]+]], [[LS:%[a-z_0-9]+]] = kernel.reduction(%x) : (tensor<5x37xf32>) -> (tensor<5x37xf32>, tensor<5x37xf32>) {
// CHECK:           tensorops.reduce_max
// CHECK:           tensorops.exp
// CHECK:           tensorops.reduce_sum
// CHECK:           tensorops.div
// CHECK:           tensorops.log
// CHECK:           kernel.yield
// CHECK-NOT:     tensorops.
// CHECK:         func.return [[P]], [[LS]]
func.func @softmax(%x: tensor<5x37xf32>) -> (tensor<5x37xf32>, tensor<5x37xf32>) {
  %m = tensorops.reduce_max %x axes [1] keepdim : tensor<5x37xf32> -> tensor<5x1xf32>
  %d = tensorops.sub %x, %m : tensor<5x37xf32>, tensor<5x1xf32> -> tensor<5x37xf32>
  %e = tensorops.exp %d : tensor<5x37xf32>
  %s = tensorops.reduce_sum %e axes [1] keepdim : tensor<5x37xf32> -> tensor<5x1xf32>
  %p = tensorops.div %e, %s : tensor<5x37xf32>, tensor<5x1xf32> -> tensor<5x37xf32>
  %l = tensorops.log %s : tensor<5x1xf32>
  %ls = tensorops.sub %d, %l : tensor<5x37xf32>, tensor<5x1xf32> -> tensor<5x37xf32>
  func.return %p, %ls : tensor<5x37xf32>, tensor<5x37xf32>
}

// -----

// A mean over a middle axis reduces the last axis of a transposed view; with keepdim,
// an output reshape restores the kept axis.

// CHECK-LABEL: func.func @middle_axis
// CHECK:         kernel.reduction(%x) : (tensor<?x9x13xf32>) -> tensor<?x13xf32> {
// CHECK-NEXT:    ^bb0([[X:%[a-z_0-9]+]]: tensor<?x9x13xf32>):
// CHECK-NEXT:      [[T:%[a-z_0-9]+]] = tensorops.transpose [[X]] [0, 2, 1]
// CHECK-NEXT:      tensorops.reduce_mean [[T]] axes [2] :
// CHECK:         kernel.reduction(%x) : (tensor<?x9x13xf32>) -> tensor<?x1x13xf32> {
// CHECK:           tensorops.reduce_sum {{.*}} axes [2] keepdim
// CHECK-NEXT:      tensorops.reshape
func.func @middle_axis(%x: tensor<?x9x13xf32>) -> (tensor<?x13xf32>, tensor<?x1x13xf32>) {
  %a = tensorops.reduce_mean %x axes [1] : tensor<?x9x13xf32> -> tensor<?x13xf32>
  %b = tensorops.reduce_sum %x axes [1] keepdim : tensor<?x9x13xf32> -> tensor<?x1x13xf32>
  func.return %a, %b : tensor<?x13xf32>, tensor<?x1x13xf32>
}

// -----

// Reductions over several axes reduce the last axis of a transposed view whose reduced
// axes a reshape merges (a reshape restores kept axes); over all axes, one row.

// CHECK-LABEL: func.func @several_axes
// CHECK:         kernel.reduction(%x) : (tensor<4x5x6xf32>) -> tensor<5xf32> {
// CHECK:           tensorops.transpose {{.*}} [1, 0, 2] : tensor<4x5x6xf32> -> tensor<5x4x6xf32>
// CHECK-NEXT:      tensorops.reshape {{.*}} -> tensor<5x24xf32>
// CHECK-NEXT:      tensorops.reduce_sum {{.*}} axes [1] : tensor<5x24xf32> -> tensor<5xf32>
// CHECK:         kernel.reduction(%y) : (tensor<?x5x6xf32>) -> tensor<?x1x1xf32> {
// CHECK-NOT:       tensorops.transpose
// CHECK:           tensorops.reshape {{.*}} -> tensor<?x30xf32>
// CHECK-NEXT:      tensorops.reduce_max {{.*}} axes [1] keepdim
// CHECK-NEXT:      tensorops.reshape {{.*}} -> tensor<?x1x1xf32>
// CHECK:         kernel.reduction(%x) : (tensor<4x5x6xf32>) -> tensor<f32> {
// CHECK:           tensorops.reshape {{.*}} -> tensor<120xf32>
// CHECK-NEXT:      tensorops.reduce_mean {{.*}} axes [0] : tensor<120xf32> -> tensor<f32>
func.func @several_axes(%x: tensor<4x5x6xf32>, %y: tensor<?x5x6xf32>) -> (tensor<5xf32>, tensor<?x1x1xf32>, tensor<f32>) {
  %a = tensorops.reduce_sum %x axes [0, 2] : tensor<4x5x6xf32> -> tensor<5xf32>
  %b = tensorops.reduce_max %y axes [1, 2] keepdim : tensor<?x5x6xf32> -> tensor<?x1x1xf32>
  %c = tensorops.reduce_mean %x axes [0, 1, 2] : tensor<4x5x6xf32> -> tensor<f32>
  func.return %a, %b, %c : tensor<5xf32>, tensor<?x1x1xf32>, tensor<f32>
}

// -----

// Reductions over several axes of unknown size, or of integers, are left alone
// (wrap-kernels hands them to PyTorch).

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     kernel.
// CHECK:         tensorops.reduce_sum %x axes [0, 1]
// CHECK:         tensorops.reduce_max %i axes [1]
func.func @left_alone(%x: tensor<?x?xf32>, %i: tensor<4x5xi32>) -> (tensor<f32>, tensor<4xi32>) {
  %a = tensorops.reduce_sum %x axes [0, 1] : tensor<?x?xf32> -> tensor<f32>
  %b = tensorops.reduce_max %i axes [1] : tensor<4x5xi32> -> tensor<4xi32>
  func.return %a, %b : tensor<f32>, tensor<4xi32>
}
