// RUN: mopt %s --split-input-file --verify-diagnostics

// An axis out of range.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{'torchcall.softmax': dim 2 is out of range for rank 2}}
  %0 = torchcall.softmax %x dim 2 : tensor<2x3xf32>
  func.return
}

// -----

// A linear layer's weight is a matrix.
func.func @f(%x: tensor<2x3xf32>, %w: tensor<3xf32>) {
  // expected-error@+1 {{'torchcall.linear': the weight must be a matrix and the bias a vector}}
  %0 = torchcall.linear %x, %w : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  func.return
}

// -----

// A layer norm's weight has the size of the input's last axis.
func.func @f(%x: tensor<2x3xf32>, %w: tensor<4xf32>) {
  // expected-error@+1 {{'torchcall.layer_norm': weight and bias must be of shape [n], n the static size of the input's last axis}}
  %0 = torchcall.layer_norm %x, %w, %w eps 1.000000e-05 : f32 : tensor<2x3xf32>, tensor<4xf32>, tensor<4xf32>
  func.return
}

// -----

// An RMS norm's weight has the size of the input's last axis, which is static.
func.func @f(%x: tensor<2x3xf32>, %w: tensor<4xf32>) {
  // expected-error@+1 {{'torchcall.rms_norm': the weight must be of shape [n], n the static size of the input's last axis}}
  %0 = torchcall.rms_norm %x, %w eps 1.000000e-05 : f32 : tensor<2x3xf32>, tensor<4xf32>
  func.return
}

// -----

func.func @f(%x: tensor<2x?xf32>, %w: tensor<4xf32>) {
  // expected-error@+1 {{'torchcall.rms_norm': the weight must be of shape [n], n the static size of the input's last axis}}
  %0 = torchcall.rms_norm %x, %w eps 1.000000e-05 : f32 : tensor<2x?xf32>, tensor<4xf32>
  func.return
}

// -----

// The scalar has the tensor's element type.
func.func @f(%x: tensor<3xf32>) {
  // expected-error@+1 {{'torchcall.tensor_scalar': the scalar must be an f32 or f64 of the input's element type}}
  %0 = torchcall.tensor_scalar %x "*" 2.000000e+00 : f64 : tensor<3xf32>
  func.return
}

// -----

// Only Python's four arithmetic operators.
func.func @f(%x: tensor<3xf32>) {
  // expected-error@+1 {{'torchcall.scalar_tensor': operator must be one of ('+', '-', '*', '/')}}
  %0 = torchcall.scalar_tensor 2.000000e+00 : f32 "**" %x : tensor<3xf32>
  func.return
}

// -----

// An int8 product reads int8 operands.
func.func @f(%x: tensor<2x3xf32>, %w: tensor<3x4xi8>, %s: tensor<2x1xf32>, %t: tensor<1x4xf32>) {
  // expected-error@+1 {{Expected attribute i8 but got f32}}
  %0 = "torchcall.int8_scaled_matmul"(%x, %w, %s, %t) : (tensor<2x3xf32>, tensor<3x4xi8>, tensor<2x1xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  func.return
}

// -----

// Quantized rows are int8.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{Expected attribute i8 but got f32}}
  %0, %1 = "torchcall.int8_quantize_rows"(%x) <{dim = 1 : i64}> : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>)
  func.return
}
