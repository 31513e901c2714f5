// RUN: mopt %s --split-input-file --verify-diagnostics

// Verifier errors of the indexing tensorops.

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{tensorops.cumsum: axis 2 is out of range for rank 2}}
  %0 = tensorops.cumsum %x axis 2 : tensor<3x4xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{tensorops.topk: k (5) is larger than the size 4 of axis 1}}
  %0, %1 = tensorops.topk %x k 5 axis 1 : tensor<3x4xf32> -> tensor<3x5xf32>, tensor<3x5xi64>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{tensorops.topk: the indices must be i64 of the values' shape}}
  %0, %1 = tensorops.topk %x k 2 axis 1 : tensor<3x4xf32> -> tensor<3x2xf32>, tensor<3x2xi32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>, %i: tensor<2xi64>) {
  // expected-error@+1 {{tensorops.take_along: the index [2] must have the rank of the input [3, 4]}}
  %0 = tensorops.take_along %x[%i] axis 0 : tensor<3x4xf32>, tensor<2xi64> -> tensor<2xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{tensorops.pad: widths (0, -5) make a dimension of size 4 negative}}
  %0 = tensorops.pad %x low [0, 0] high [0, -5] value 0.000000e+00 : tensor<3x4xf32> -> tensor<3x0xf32>
  func.return
}

// -----

func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{tensorops.pad: 1 pairs of widths for a tensor of rank 2}}
  %0 = tensorops.pad %x low [1] high [1] value 0.000000e+00 : tensor<3x4xf32> -> tensor<3x6xf32>
  func.return
}
