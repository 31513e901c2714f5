// RUN: mopt %s --split-input-file --verify-diagnostics

// Element types break constraints that the custom format checks while parsing; those
// cases use the generic format, so that the verifier reports them at the op. In the
// custom format the parser reports them at the op as well.

// A custom-format op whose element types break its constraints.
func.func @f(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{attribute f32 expected from variable 'E', but got i32}}
  %0 = tensorops.add %a, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xi32>
  func.return
}

// -----

// An integer too wide for its attribute.
func.func @f(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{argument out of range}}
  %0 = tensorops.transpose %a [1, 99999999999999999999] : tensor<2x3xf32> -> tensor<3x2xf32>
  func.return
}

// -----

// Float function of an integer tensor.
func.func @f(%x: tensor<4xi32>) {
  // expected-error@+1 {{operand 'input' at position 0 does not verify: Expected one of bf16, f16, f32, f64, but got i32}}
  %0 = "tensorops.exp"(%x) : (tensor<4xi32>) -> tensor<4xi32>
  func.return
}

// -----

// Negation of booleans.
func.func @f(%x: tensor<4xi1>) {
  // expected-error@+1 {{Expected one of bf16, f16, f32, f64, i32, i64, i8, but got i1}}
  %0 = "tensorops.neg"(%x) : (tensor<4xi1>) -> tensor<4xi1>
  func.return
}

// -----

// Operands of different element types.
func.func @f(%x: tensor<4xf32>, %y: tensor<4xf16>) {
  // expected-error@+1 {{attribute f32 expected from variable 'E', but got f16}}
  %0 = "tensorops.add"(%x, %y) : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  func.return
}

// -----

// Shapes that do not broadcast.
func.func @f(%x: tensor<3xf32>, %y: tensor<4xf32>) {
  // expected-error@+1 {{tensorops.add: shapes [3] and [4] do not broadcast}}
  %0 = tensorops.add %x, %y : tensor<3xf32>, tensor<4xf32> -> tensor<4xf32>
  func.return
}

// -----

// A result shape that is not the broadcast shape.
func.func @f(%x: tensor<3x1xf32>, %y: tensor<4xf32>) {
  // expected-error@+1 {{tensorops.mul: result type tensor<3x1xf32> does not match the inferred type tensor<3x4xf32>}}
  %0 = tensorops.mul %x, %y : tensor<3x1xf32>, tensor<4xf32> -> tensor<3x1xf32>
  func.return
}

// -----

// Division of integers.
func.func @f(%x: tensor<4xi32>) {
  // expected-error@+1 {{Expected one of bf16, f16, f32, f64, but got i32}}
  %0 = "tensorops.div"(%x, %x) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  func.return
}

// -----

// Logic on floats.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{Expected attribute i1 but got f32}}
  %0 = "tensorops.and"(%x, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// A comparison that does not give booleans.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{result 'result' at position 0 does not verify: Expected attribute i1 but got f32}}
  %0 = "tensorops.lt"(%x, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// A select on a float condition.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{operand 'cond' at position 0 does not verify: Expected attribute i1 but got f32}}
  %0 = "tensorops.select"(%x, %x, %x) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// A select whose branches do not broadcast.
func.func @f(%c: tensor<2xi1>, %x: tensor<3xf32>) {
  // expected-error@+1 {{tensorops.select: shapes [2] and [3] do not broadcast}}
  %0 = tensorops.select %c, %x, %x : tensor<2xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  func.return
}

// -----

// A cast that changes the shape.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{tensorops.cast: result type tensor<5xi32> does not match the inferred type tensor<4xi32>}}
  %0 = tensorops.cast %x : tensor<4xf32> -> tensor<5xi32>
  func.return
}

// -----

// A cast to an element type outside the dialect.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{result 'result' at position 0 does not verify: Expected one of}}
  %0 = "tensorops.cast"(%x) : (tensor<4xf32>) -> tensor<4xi16>
  func.return
}

// -----

// A quantization scale that varies along two axes.
func.func @f(%x: tensor<4x3xf32>, %s: tensor<4x3xf32>) {
  // expected-error@+1 {{tensorops.quantize: scale of shape [4, 3] varies along several axes}}
  %0 = tensorops.quantize %x, %s : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xi8>
  func.return
}

// -----

// A quantization scale that grows the input.
func.func @f(%x: tensor<4x3xf32>, %s: tensor<2x1x1xf32>) {
  // expected-error@+1 {{tensorops.quantize: scale of shape [2, 1, 1] does not broadcast to [4, 3]}}
  %0 = tensorops.quantize %x, %s : tensor<4x3xf32>, tensor<2x1x1xf32> -> tensor<4x3xi8>
  func.return
}

// -----

// A scale of the input's rank that varies along its last axis is not a row scale.
func.func @f(%x: tensor<2x4x3xf32>, %s: tensor<2x1x3xf32>) {
  // expected-error@+1 {{tensorops.quantize: scale of shape [2, 1, 3] varies along several axes}}
  %0 = tensorops.quantize %x, %s : tensor<2x4x3xf32>, tensor<2x1x3xf32> -> tensor<2x4x3xi8>
  func.return
}

// -----

// An int8 product must be int32, where it accumulates exactly.
func.func @f(%a: tensor<2x4xi8>, %b: tensor<4x3xi8>) {
  // expected-error@+1 {{tensorops.matmul: result type tensor<2x3xi8> does not match the inferred type tensor<2x3xi32>}}
  %0 = tensorops.matmul %a, %b : tensor<2x4xi8>, tensor<4x3xi8> -> tensor<2x3xi8>
  func.return
}

// -----

// Quantization to another type than i8.
func.func @f(%x: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error@+1 {{Expected attribute i8 but got i32}}
  %0 = "tensorops.quantize"(%x, %s) : (tensor<4xf32>, tensor<f32>) -> tensor<4xi32>
  func.return
}

// -----

// Dequantization of floats.
func.func @f(%x: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error@+1 {{operand 'input' at position 0 does not verify: Expected attribute i8 but got f32}}
  %0 = "tensorops.dequantize"(%x, %s) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  func.return
}

// -----

// A matrix product with different inner sizes.
func.func @f(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error@+1 {{tensorops.matmul: matrix product of [2, 3] and [4, 5]: inner sizes 3 and 4 differ}}
  %0 = tensorops.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  func.return
}

// -----

// A matrix product of a scalar.
func.func @f(%a: tensor<f32>, %b: tensor<4x5xf32>) {
  // expected-error@+1 {{tensorops.matmul: matrix product needs tensors of rank 1 or more}}
  %0 = tensorops.matmul %a, %b : tensor<f32>, tensor<4x5xf32> -> tensor<4x5xf32>
  func.return
}

// -----

// A convolution with the wrong number of channels.
func.func @f(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error@+1 {{tensorops.conv2d: the weight expects 2 input channels, got 3}}
  %0 = tensorops.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x6x6xf32>
  func.return
}

// -----

// A convolution of a matrix.
func.func @f(%x: tensor<8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error@+1 {{tensorops.conv2d: expected a CHW or NCHW input and an OIHW weight, got [8, 8] and [4, 2, 3, 3]}}
  %0 = tensorops.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<8x8xf32>, tensor<4x2x3x3xf32> -> tensor<4x6x6xf32>
  func.return
}

// -----

// A zero stride.
func.func @f(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error@+1 {{tensorops.conv2d: stride and padding must be two sizes, strides >= 1, padding >= 0}}
  %0 = tensorops.conv2d %x, %w stride [0, 1] padding [0, 0] : tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x6x6xf32>
  func.return
}

// -----

// A window larger than the input.
func.func @f(%x: tensor<1x2x2x2xf32>) {
  // expected-error@+1 {{tensorops.max_pool2d: window of size 3 does not fit an input of size 2}}
  %0 = tensorops.max_pool2d %x kernel [3, 3] stride [1, 1] padding [0, 0] : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32>
  func.return
}

// -----

// Pooling padding over half the kernel.
func.func @f(%x: tensor<1x2x8x8xf32>) {
  // expected-error@+1 {{tensorops.avg_pool2d: padding must be at most half the kernel}}
  %0 = tensorops.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [2, 0] : tensor<1x2x8x8xf32> -> tensor<1x2x6x4xf32>
  func.return
}

// -----

// Unsorted reduction axes.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{tensorops.reduce_sum: axes [1, 0] must be sorted, unique, not empty and in 0..1}}
  %0 = tensorops.reduce_sum %x axes [1, 0] : tensor<2x3xf32> -> tensor<f32>
  func.return
}

// -----

// A reduction axis out of range.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{tensorops.reduce_max: axes [2] must be sorted, unique, not empty and in 0..1}}
  %0 = tensorops.reduce_max %x axes [2] : tensor<2x3xf32> -> tensor<2x3xf32>
  func.return
}

// -----

// A reduction that drops the wrong axis.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{tensorops.reduce_min: result type tensor<2xf32> does not match the inferred type tensor<3xf32>}}
  %0 = tensorops.reduce_min %x axes [0] : tensor<2x3xf32> -> tensor<2xf32>
  func.return
}

// -----

// The mean of integers.
func.func @f(%x: tensor<2xi32>) {
  // expected-error@+1 {{Expected one of bf16, f16, f32, f64, but got i32}}
  %0 = "tensorops.reduce_mean"(%x) <{axes = array<i64: 0>}> : (tensor<2xi32>) -> tensor<i32>
  func.return
}

// -----

// An argmax axis out of range.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{tensorops.argmax: axis 2 is out of range for rank 2}}
  %0 = tensorops.argmax %x axis 2 : tensor<2x3xf32> -> tensor<2xi64>
  func.return
}

// -----

// A transpose by a non-permutation.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{tensorops.transpose: [0, 0] is not a permutation of the 2 axes}}
  %0 = tensorops.transpose %x [0, 0] : tensor<2x3xf32> -> tensor<2x2xf32>
  func.return
}

// -----

// A reshape that changes the number of elements.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{tensorops.reshape: cannot reshape [2, 3] (6 elements) to [4, 2]}}
  %0 = tensorops.reshape %x : tensor<2x3xf32> -> tensor<4x2xf32>
  func.return
}

// -----

// A reshape with two unknown sizes.
func.func @f(%x: tensor<?x6xf32>) {
  // expected-error@+1 {{tensorops.reshape: reshape: at most one size may be -1}}
  %0 = tensorops.reshape %x : tensor<?x6xf32> -> tensor<?x?x2xf32>
  func.return
}

// -----

// A reshape_tail whose leading dimensions differ from the input's.
func.func @f(%x: tensor<2x6xf32>) {
  // expected-error@+1 {{tensorops.reshape_tail: result type tensor<3x2x3xf32> does not match the inferred type tensor<2x2x3xf32>}}
  %0 = tensorops.reshape_tail %x from 1 : tensor<2x6xf32> -> tensor<3x2x3xf32>
  func.return
}

// -----

// A reshape_tail with two unknown trailing sizes.
func.func @f(%x: tensor<?x6xf32>) {
  // expected-error@+1 {{tensorops.reshape_tail: reshape: at most one size may be -1}}
  %0 = tensorops.reshape_tail %x from 1 : tensor<?x6xf32> -> tensor<?x?x?xf32>
  func.return
}

// -----

// A reshape that changes the element type.
func.func @f(%x: tensor<6xf32>) {
  // expected-error@+1 {{attribute f32 expected from variable 'T', but got f16}}
  %0 = "tensorops.reshape"(%x) : (tensor<6xf32>) -> tensor<6xf16>
  func.return
}

// -----

// A broadcast to incompatible sizes.
func.func @f(%x: tensor<3x2xf32>) {
  // expected-error@+1 {{tensorops.broadcast_to: cannot broadcast [3, 2] to [3, 4]}}
  %0 = tensorops.broadcast_to %x : tensor<3x2xf32> -> tensor<3x4xf32>
  func.return
}

// -----

// A broadcast to a lower rank.
func.func @f(%x: tensor<3x2xf32>) {
  // expected-error@+1 {{tensorops.broadcast_to: cannot broadcast [3, 2] to lower rank 1}}
  %0 = tensorops.broadcast_to %x : tensor<3x2xf32> -> tensor<2xf32>
  func.return
}

// -----

// A broadcast that adds an unknown leading size.
func.func @f(%x: tensor<2xf32>) {
  // expected-error@+1 {{tensorops.broadcast_to: new leading dimensions must have a known size}}
  %0 = tensorops.broadcast_to %x : tensor<2xf32> -> tensor<?x2xf32>
  func.return
}

// -----

// A gather with float ids.
func.func @f(%t: tensor<4x2xf32>, %i: tensor<3xf32>) {
  // expected-error@+1 {{operand 'ids' at position 1 does not verify: Expected one of i32, i64, but got f32}}
  %0 = "tensorops.gather"(%t, %i) : (tensor<4x2xf32>, tensor<3xf32>) -> tensor<3x2xf32>
  func.return
}

// -----

// A gather from a scalar.
func.func @f(%t: tensor<f32>, %i: tensor<3xi64>) {
  // expected-error@+1 {{tensorops.gather: the table must have rank 1 or more}}
  %0 = tensorops.gather %t[%i] : tensor<f32>, tensor<3xi64> -> tensor<3xf32>
  func.return
}

// -----

// A concat of different ranks.
func.func @f(%x: tensor<2x3xf32>, %y: tensor<3xf32>) {
  // expected-error@+1 {{tensorops.concat: concat: all tensors must have the same rank}}
  %0 = tensorops.concat %x, %y axis 0 : tensor<2x3xf32>, tensor<3xf32> -> tensor<5x3xf32>
  func.return
}

// -----

// A concat whose other sizes differ.
func.func @f(%x: tensor<2x3xf32>, %y: tensor<2x4xf32>) {
  // expected-error@+1 {{tensorops.concat: concat: sizes 3 and 4 differ in dimension 1}}
  %0 = tensorops.concat %x, %y axis 0 : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  func.return
}

// -----

// A concat axis out of range.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{tensorops.concat: axis 2 is out of range for rank 2}}
  %0 = tensorops.concat %x, %x axis 2 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x6xf32>
  func.return
}

// -----

// A slice with too few ranges.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{tensorops.slice: 1 slices given for a tensor of rank 2}}
  %0 = tensorops.slice %x[0:1] : tensor<2x3xf32> -> tensor<1x3xf32>
  func.return
}

// -----

// A slice with a zero step.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{tensorops.slice: slice steps must be positive}}
  %0 = tensorops.slice %x[::0] : tensor<4xf32> -> tensor<4xf32>
  func.return
}

// -----

// A slice of the wrong length.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{tensorops.slice: result type tensor<3xf32> does not match the inferred type tensor<2xf32>}}
  %0 = tensorops.slice %x[1:3] : tensor<4xf32> -> tensor<3xf32>
  func.return
}

// -----

// A constant of an element type outside the dialect.
func.func @f() {
  // expected-error@+1 {{Expected one of}}
  %0 = "tensorops.constant"() <{value = dense<1> : tensor<2xi16>}> : () -> tensor<2xi16>
  func.return
}

// -----

// An iota whose result keeps a size of the reference other than along its axis.
func.func @f(%x: tensor<3x4xf32>) {
  // expected-error@+1 {{tensorops.iota: result type tensor<3x4xi64> does not match the inferred type tensor<1x4xi64>}}
  %0 = tensorops.iota %x axis 1 : tensor<3x4xf32> -> tensor<3x4xi64>
  func.return
}

// -----

// An iota of floats.
func.func @f(%x: tensor<3xf32>) {
  // expected-error@+1 {{Expected one of i32, i64, but got f32}}
  %0 = "tensorops.iota"(%x) <{axis = 0 : i64}> : (tensor<3xf32>) -> tensor<3xf32>
  func.return
}

// -----

// Samples of an unknown distribution.
func.func @f() {
  // expected-error@+1 {{tensorops.random: distribution must be one of normal, uniform, got 'gamma'}}
  %0 = tensorops.random "gamma" : tensor<3xf32>
  func.return
}

// -----

// Samples of a dynamic shape.
func.func @f() {
  // expected-error@+1 {{tensorops.random: samples must be an f32 tensor of static shape, got tensor<?x3xf32>}}
  %0 = tensorops.random "normal" : tensor<?x3xf32>
  func.return
}

// -----

// Integer samples.
func.func @f() {
  // expected-error@+1 {{tensorops.random: samples must be an f32 tensor of static shape, got tensor<3xi64>}}
  %0 = tensorops.random "uniform" seed 1 : tensor<3xi64>
  func.return
}

// -----

// A dropout that would drop everything.
func.func @f(%x: tensor<3xf32>) {
  // expected-error@+1 {{tensorops.dropout: p must be in [0, 1), got 1.0}}
  %0 = tensorops.dropout %x p 1.000000e+00 : tensor<3xf32>
  func.return
}
