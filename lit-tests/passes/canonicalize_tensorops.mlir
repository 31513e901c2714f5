// RUN: mopt %s -p canonicalize --split-input-file | filecheck %s

// CHECK-LABEL: func.func @transpose_transpose
// CHECK-NEXT:    [[T:%.*]] = tensorops.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT:    func.return [[T]]
func.func @transpose_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = tensorops.transpose %x [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = tensorops.transpose %0 [1, 2, 0] : tensor<3x4x2xf32> -> tensor<4x2x3xf32>
  func.return %1 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @identity_transpose
// CHECK-NEXT:    func.return %x
func.func @identity_transpose(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = tensorops.transpose %x [1, 0] : tensor<?x4xf32> -> tensor<4x?xf32>
  %1 = tensorops.transpose %0 [1, 0] : tensor<4x?xf32> -> tensor<?x4xf32>
  func.return %1 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_reshape
// CHECK-NEXT:    [[R:%.*]] = tensorops.reshape %x : tensor<?x8xf32> -> tensor<?x2x2x2xf32>
// CHECK-NEXT:    func.return [[R]]
func.func @reshape_reshape(%x: tensor<?x8xf32>) -> tensor<?x2x2x2xf32> {
  %0 = tensorops.reshape %x : tensor<?x8xf32> -> tensor<?x4xf32>
  %1 = tensorops.reshape %0 : tensor<?x4xf32> -> tensor<?x2x2x2xf32>
  func.return %1 : tensor<?x2x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_same_shape
// CHECK-NEXT:    func.return %x
func.func @reshape_same_shape(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = tensorops.reshape %x : tensor<?x8xf32> -> tensor<?x8xf32>
  func.return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_same_shape
// CHECK-NEXT:    func.return %x
func.func @broadcast_same_shape(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = tensorops.broadcast_to %x : tensor<?x8xf32> -> tensor<?x8xf32>
  func.return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_splat
// CHECK-NEXT:    [[C:%.*]] = tensorops.constant dense<2.500000e+00> : tensor<3x4xf32>
// CHECK-NEXT:    func.return [[C]]
func.func @broadcast_splat() -> tensor<3x4xf32> {
  %0 = tensorops.constant dense<2.5> : tensor<f32>
  %1 = tensorops.broadcast_to %0 : tensor<f32> -> tensor<3x4xf32>
  func.return %1 : tensor<3x4xf32>
}

// -----

// A zero that leaves every value as it is folds away: -0.0, or an integer 0. A float +0.0
// stays (-0.0 + 0.0 is +0.0), and so does a zero that broadcasts x to a larger shape.
// CHECK-LABEL: func.func @add_zero
// CHECK-NEXT:    [[P:%.*]] = tensorops.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    [[KEPT:%.*]] = tensorops.add %x, [[P]] : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK-NEXT:    [[W:%.*]] = tensorops.constant dense<-0.000000e+00> : tensor<2x4xf32>
// CHECK-NEXT:    [[B:%.*]] = tensorops.add %x, [[W]] : tensor<4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %x, [[KEPT]], [[B]], %i
func.func @add_zero(%x: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<4xi32>) {
  %negzero = tensorops.constant dense<-0.0> : tensor<f32>
  %0 = tensorops.add %x, %negzero : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %poszero = tensorops.constant dense<0.0> : tensor<f32>
  %1 = tensorops.add %x, %poszero : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %wide = tensorops.constant dense<-0.0> : tensor<2x4xf32>
  %2 = tensorops.add %x, %wide : tensor<4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %izero = tensorops.constant dense<0> : tensor<i32>
  %3 = tensorops.add %izero, %i : tensor<i32>, tensor<4xi32> -> tensor<4xi32>
  func.return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @mul_one
// CHECK-NEXT:    func.return %x
func.func @mul_one(%x: tensor<?x4xi32>) -> tensor<?x4xi32> {
  %one = tensorops.constant dense<1> : tensor<4xi32>
  %0 = tensorops.mul %one, %x : tensor<4xi32>, tensor<?x4xi32> -> tensor<?x4xi32>
  func.return %0 : tensor<?x4xi32>
}

// -----

// CHECK-LABEL: func.func @fold_splats
// CHECK-NEXT:    [[C:%.*]] = tensorops.constant dense<-1.500000e+00> : tensor<8x8xf32>
// CHECK-NEXT:    func.return [[C]]
func.func @fold_splats() -> tensor<8x8xf32> {
  %a = tensorops.constant dense<1.0> : tensor<8x8xf32>
  %b = tensorops.constant dense<2.5> : tensor<f32>
  %0 = tensorops.sub %a, %b : tensor<8x8xf32>, tensor<f32> -> tensor<8x8xf32>
  %1 = tensorops.abs %0 : tensor<8x8xf32>
  %2 = tensorops.neg %1 : tensor<8x8xf32>
  func.return %2 : tensor<8x8xf32>
}

// -----

// CHECK-LABEL: func.func @fold_dense
// CHECK-NEXT:    [[C:%.*]] = tensorops.constant dense<{{\[\[}}false, true], [true, true]]> : tensor<2x2xi1>
// CHECK-NEXT:    func.return [[C]]
func.func @fold_dense() -> tensor<2x2xi1> {
  %a = tensorops.constant dense<[1, 2]> : tensor<2xi64>
  %b = tensorops.constant dense<[[2], [0]]> : tensor<2x1xi64>
  %0 = tensorops.lt %a, %b : tensor<2xi64>, tensor<2x1xi64> -> tensor<2x2xi1>
  %1 = tensorops.not %0 : tensor<2x2xi1>
  func.return %1 : tensor<2x2xi1>
}

// -----

// Transcendental functions are not folded: NumPy may round them differently from PyTorch.
// CHECK-LABEL: func.func @no_fold_exp
// CHECK:         tensorops.exp
func.func @no_fold_exp() -> tensor<2xf32> {
  %a = tensorops.constant dense<1.0> : tensor<2xf32>
  %0 = tensorops.exp %a : tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
