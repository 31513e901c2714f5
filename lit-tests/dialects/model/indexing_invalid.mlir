// RUN: mopt %s --split-input-file --verify-diagnostics

// One case per verifier error of the `model` dialect's indexing and reshaping ops.

func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{model.tril: tril needs a tensor of rank 2 or more, got [4]}}
  %0 = model.tril %x {k = 0 : i64} : tensor<4xf32> -> tensor<4xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{model.cumsum: axis 2 is out of range for a tensor of rank 2}}
  %0 = model.cumsum %x {axis = 2 : i64} : tensor<3x4xf32> -> tensor<3x4xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{model.topk: k (5) is larger than the size 4 of axis -1}}
  %0, %1 = model.topk %x {k = 5 : i64, axis = -1 : i64} : tensor<3x4xf32> -> tensor<3x5xf32>, tensor<3x5xi64>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{model.topk: the indices must have element type i64}}
  %0, %1 = model.topk %x {k = 2 : i64, axis = -1 : i64} : tensor<3x4xf32> -> tensor<3x2xf32>, tensor<3x2xi32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>, %i: tensor<3x2xf32>) {
  // expected-error@+1 {{model.gather: the index must have element type i64}}
  %0 = model.gather %x[%i] {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>, %i: tensor<5x2xi64>) {
  // expected-error@+1 {{model.gather: the index [5, 2] is larger than the input [3, 4] in dimension 0}}
  %0 = model.gather %x[%i] {axis = 1 : i64} : (tensor<3x4xf32>, tensor<5x2xi64>) -> tensor<5x2xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{model.squeeze: cannot squeeze axis 1 of size 4: it must have size 1}}
  %0 = model.squeeze %x {axis = 1 : i64} : tensor<3x4xf32> -> tensor<3xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x2xf32>) {
  // expected-error@+1 {{model.expand: cannot expand [3, 2] to [3, 4]: size 2 is neither 1 nor 4}}
  %0 = model.expand %x array<i64: 3, 4> : tensor<3x2xf32> -> tensor<3x4xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x2xf32>) {
  // expected-error@+1 {{model.repeat_interleave: result shape [3, 2] does not match the expected [3, 4]}}
  %0 = model.repeat_interleave %x {axis = 1 : i64, n = 2 : i64} : tensor<3x2xf32> -> tensor<3x2xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x2xf32>) {
  // expected-error@+1 {{model.pad: widths [1] must be pairs (before, after), last dimension first}}
  %0 = model.pad %x array<i64: 1> {value = 0.000000e+00 : f64} : tensor<3x2xf32> -> tensor<3x3xf32>
  func.return
}
