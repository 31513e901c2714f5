// RUN: mopt %s --split-input-file --verify-diagnostics

// One case per verifier error of the `model` dialect, family by family.

// Linear: the input's last dimension differs from the weight's.
func.func @f(%x: tensor<?x32xf32>, %w: tensor<10x64xf32>) {
  // expected-error@+1 {{model.linear: linear expects inputs with last dimension 64, got [?, 32]}}
  %0 = model.linear %x, %w : (tensor<?x32xf32>, tensor<10x64xf32>) -> tensor<?x10xf32>
  func.return
}

// -----

// Linear: the bias has the input size instead of the output size.
func.func @f(%x: tensor<?x64xf32>, %w: tensor<10x64xf32>, %b: tensor<64xf32>) {
  // expected-error@+1 {{model.linear: bias must have shape [10]}}
  %0 = model.linear %x, %w, %b : (tensor<?x64xf32>, tensor<10x64xf32>, tensor<64xf32>) -> tensor<?x10xf32>
  func.return
}

// -----

// Linear: the result shape is not the one the operands imply.
func.func @f(%x: tensor<?x64xf32>, %w: tensor<10x64xf32>) {
  // expected-error@+1 {{model.linear: result shape [?, 64] does not match the expected [?, 10]}}
  %0 = model.linear %x, %w : (tensor<?x64xf32>, tensor<10x64xf32>) -> tensor<?x64xf32>
  func.return
}

// -----

// Conv2d: a zero stride.
func.func @f(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+1 {{model.conv2d: stride must be >= 1 and padding >= 0}}
  %0 = model.conv2d %x, %w {padding = 0 : i64, stride = 0 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

// Conv2d: the input has 2 channels, the weight expects 3.
func.func @f(%x: tensor<1x2x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+1 {{model.conv2d: conv2d expects 3 input channels, got [1, 2, 8, 8]}}
  %0 = model.conv2d %x, %w {padding = 0 : i64, stride = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

// Conv2d: a bias of the wrong size.
func.func @f(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{model.conv2d: bias must have shape [4]}}
  %0 = model.conv2d %x, %w, %b {padding = 0 : i64, stride = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

// Embedding: a 1-d table.
func.func @f(%x: tensor<?x8xi64>, %w: tensor<16xf32>) {
  // expected-error@+1 {{model.embedding: weight must be 2-d}}
  %0 = model.embedding %x, %w : (tensor<?x8xi64>, tensor<16xf32>) -> tensor<?x8x16xf32>
  func.return
}

// -----

// LayerNorm: weight and bias of different sizes.
func.func @f(%x: tensor<?x8xf32>, %w: tensor<8xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{model.layer_norm: weight and bias must be 1-d of equal size}}
  %0 = model.layer_norm %x, %w, %b {eps = 1.0e-05 : f64} : (tensor<?x8xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<?x8xf32>
  func.return
}

// -----

// LayerNorm: the input's last dimension differs from the weight's.
func.func @f(%x: tensor<?x6xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) {
  // expected-error@+1 {{model.layer_norm: layer_norm expects last dimension 8, got [?, 6]}}
  %0 = model.layer_norm %x, %w, %b {eps = 1.0e-05 : f64} : (tensor<?x6xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x6xf32>
  func.return
}

// -----

// RMSNorm: a 2-d weight.
func.func @f(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>) {
  // expected-error@+1 {{model.rms_norm: weight must be 1-d}}
  %0 = model.rms_norm %x, %w {eps = 1.0e-06 : f64} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  func.return
}

// -----

// Attention: 3 heads do not divide dim 8.
func.func @f(%x: tensor<?x5x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) {
  // expected-error@+1 {{model.attention: dim 8 is not divisible by 3 heads}}
  %0 = model.attention %x, %w, %b, %w, %b, %w, %b, %w, %b {causal = false, heads = 3 : i64} : (tensor<?x5x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
  func.return
}

// -----

// Attention: a head count below 1 (-2 divides 8, and is still no count).
func.func @f(%x: tensor<?x5x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) {
  // expected-error@+1 {{model.attention: heads must be positive, got -2}}
  %0 = model.attention %x, %w, %b, %w, %b, %w, %b, %w, %b {causal = false, heads = -2 : i64} : (tensor<?x5x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
  func.return
}

// -----

// Attention: the input is not [N, T, dim].
func.func @f(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) {
  // expected-error@+1 {{model.attention: input must be [N, T, dim]}}
  %0 = model.attention %x, %w, %b, %w, %b, %w, %b, %w, %b {causal = false, heads = 2 : i64} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  func.return
}

// -----

// Attention: a projection weight of the wrong shape.
func.func @f(%x: tensor<?x5x8xf32>, %w: tensor<8x8xf32>, %v: tensor<8x4xf32>, %b: tensor<8xf32>) {
  // expected-error@+1 {{model.attention: projection weights must be [8, 8]}}
  %0 = model.attention %x, %w, %b, %w, %b, %v, %b, %w, %b {causal = false, heads = 2 : i64} : (tensor<?x5x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
  func.return
}

// -----

// Attention: a projection bias of the wrong size.
func.func @f(%x: tensor<?x5x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %c: tensor<4xf32>) {
  // expected-error@+1 {{model.attention: projection biases must be [8]}}
  %0 = model.attention %x, %w, %b, %w, %c, %w, %b, %w, %b {causal = false, heads = 2 : i64} : (tensor<?x5x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<4xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
  func.return
}

// -----

// Dropout: p out of [0, 1).
func.func @f(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{model.dropout: p must be in [0, 1)}}
  %0 = model.dropout %x {p = 1.5 : f64} : tensor<?x8xf32> -> tensor<?x8xf32>
  func.return
}

// -----

// Dropout: the result type differs from the input's.
func.func @f(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{model.dropout: result type must equal input type}}
  %0 = model.dropout %x {p = 0.5 : f64} : tensor<?x8xf32> -> tensor<?x4xf32>
  func.return
}

// -----

// MaxPool2d: a zero kernel.
func.func @f(%x: tensor<1x3x8x8xf32>) {
  // expected-error@+1 {{model.max_pool2d: kernel and stride must be >= 1}}
  %0 = model.max_pool2d %x {kernel = 0 : i64, stride = 1 : i64} : tensor<1x3x8x8xf32> -> tensor<1x3x8x8xf32>
  func.return
}

// -----

// AvgPool2d: a window larger than the input.
func.func @f(%x: tensor<1x3x8x8xf32>) {
  // expected-error@+1 {{model.avg_pool2d: window of size 9 does not fit an input of size 8}}
  %0 = model.avg_pool2d %x {kernel = 9 : i64, stride = 1 : i64} : tensor<1x3x8x8xf32> -> tensor<1x3x1x1xf32>
  func.return
}

// -----

// MaxPool2d: a 3-d input.
func.func @f(%x: tensor<3x8x8xf32>) {
  // expected-error@+1 {{model.max_pool2d: pooling expects a 4-d NCHW input, got [3, 8, 8]}}
  %0 = model.max_pool2d %x {kernel = 2 : i64, stride = 2 : i64} : tensor<3x8x8xf32> -> tensor<3x4x4xf32>
  func.return
}

// -----

// Unary: a string operand.
func.func @f(%x: !model.str) {
  // expected-error@+1 {{model.relu: operand must be a tensor or a number}}
  %0 = model.relu %x : !model.str -> !model.str
  func.return
}

// -----

// Unary: the result shape differs from the operand's.
func.func @f(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{model.exp: result shape [?, 5] does not match the expected [?, 4]}}
  %0 = model.exp %x : tensor<?x4xf32> -> tensor<?x5xf32>
  func.return
}

// -----

// Binary: shapes that do not broadcast.
func.func @f(%x: tensor<3xf32>, %y: tensor<4xf32>) {
  // expected-error@+1 {{model.add: shapes [3] and [4] do not broadcast}}
  %0 = model.add %x, %y : (tensor<3xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// Binary: the result drops a broadcast dimension.
func.func @f(%x: tensor<?x4xf32>, %y: tensor<4xf32>) {
  // expected-error@+1 {{model.mul: result shape [4] does not match the expected [?, 4]}}
  %0 = model.mul %x, %y : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// Comparison: the result is not boolean.
func.func @f(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error@+1 {{model.lt: the result must have element type i1}}
  %0 = model.lt %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// Comparison on host scalars: the result is not i1.
func.func @f(%x: f64, %y: f64) {
  // expected-error@+1 {{model.eq: the result must have element type i1}}
  %0 = model.eq %x, %y : (f64, f64) -> f64
  func.return
}

// -----

// Binary: a string operand.
func.func @f(%x: !model.str, %y: i64) {
  // expected-error@+1 {{model.add: operands must be tensors or numbers}}
  %0 = model.add %x, %y : (!model.str, i64) -> i64
  func.return
}

// -----

// Matmul: inner sizes differ.
func.func @f(%a: tensor<?x4xf32>, %b: tensor<5x3xf32>) {
  // expected-error@+1 {{model.matmul: matrix product of [?, 4] and [5, 3]: inner sizes 4 and 5 differ}}
  %0 = model.matmul %a, %b : (tensor<?x4xf32>, tensor<5x3xf32>) -> tensor<?x3xf32>
  func.return
}

// -----

// Matmul: the result shape is not the product's.
func.func @f(%a: tensor<?x4xf32>, %b: tensor<4x3xf32>) {
  // expected-error@+1 {{model.matmul: result shape [?, 4] does not match the expected [?, 3]}}
  %0 = model.matmul %a, %b : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x4xf32>
  func.return
}

// -----

// Where: the condition is not boolean.
func.func @f(%c: tensor<4xf32>, %a: tensor<4xf32>) {
  // expected-error@+1 {{model.where: the condition must have element type i1}}
  %0 = model.where %c, %a, %a : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// Clamp: lo above hi.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{model.clamp: lo must not exceed hi}}
  %0 = model.clamp %x {hi = -1.0 : f64, lo = 1.0 : f64} : tensor<4xf32> -> tensor<4xf32>
  func.return
}

// -----

// Cast: the result shape differs from the input's.
func.func @f(%x: tensor<4xf32>) {
  // expected-error@+1 {{model.cast: result shape [5] does not match the expected [4]}}
  %0 = model.cast %x : tensor<4xf32> -> tensor<5xi64>
  func.return
}

// -----

// Reduction: the result keeps the reduced axis.
func.func @f(%x: tensor<?x4x5xf32>) {
  // expected-error@+1 {{model.sum: result shape [?, 4] does not match the expected [?, 5]}}
  %0 = model.sum %x {axis = 1 : i64} : tensor<?x4x5xf32> -> tensor<?x4xf32>
  func.return
}

// -----

// Reduction: the axis is out of range.
func.func @f(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{model.mean: axis 2 is out of range for a tensor of rank 2}}
  %0 = model.mean %x {axis = 2 : i64} : tensor<?x4xf32> -> tensor<?xf32>
  func.return
}

// -----

// Reduction over all axes gives a 0-d result.
func.func @f(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{model.max: result shape [?] does not match the expected []}}
  %0 = model.max %x : tensor<?x4xf32> -> tensor<?xf32>
  func.return
}

// -----

// Softmax: the axis is out of range.
func.func @f(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{model.softmax: axis 2 is out of range for a tensor of rank 2}}
  %0 = model.softmax %x {axis = 2 : i64} : tensor<?x4xf32> -> tensor<?x4xf32>
  func.return
}

// -----

// LogSoftmax: the result shape differs from the input's.
func.func @f(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{model.log_softmax: result shape [?, 5] does not match the expected [?, 4]}}
  %0 = model.log_softmax %x {axis = -1 : i64} : tensor<?x4xf32> -> tensor<?x5xf32>
  func.return
}

// -----

// Transpose: a dimension out of range.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{model.transpose: axis 2 is out of range for a tensor of rank 2}}
  %0 = model.transpose %x {dim0 = 0 : i64, dim1 = 2 : i64} : tensor<2x3xf32> -> tensor<3x2xf32>
  func.return
}

// -----

// Transpose: the result is not transposed.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{model.transpose: result shape [2, 3] does not match the expected [3, 2]}}
  %0 = model.transpose %x {dim0 = 0 : i64, dim1 = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  func.return
}

// -----

// Permute: dims are not a permutation.
func.func @f(%x: tensor<2x3x4xf32>) {
  // expected-error@+1 {{model.permute: [0, 0, 1] is not a permutation of the 3 axes}}
  %0 = model.permute %x array<i64: 0, 0, 1> : tensor<2x3x4xf32> -> tensor<2x2x3xf32>
  func.return
}

// -----

// Reshape: the element count changes.
func.func @f(%x: tensor<2x3x4xf32>) {
  // expected-error@+1 {{model.reshape: cannot reshape [2, 3, 4] (24 elements) to [5, 5]}}
  %0 = model.reshape %x array<i64: 5, 5> : tensor<2x3x4xf32> -> tensor<5x5xf32>
  func.return
}

// -----

// Reshape: two sizes of -1.
func.func @f(%x: tensor<2x3x4xf32>) {
  // expected-error@+1 {{model.reshape: at most one size may be -1}}
  %0 = model.reshape %x array<i64: -1, -1> : tensor<2x3x4xf32> -> tensor<6x4xf32>
  func.return
}

// -----

// Reshape: -1 cannot make the element count fit.
func.func @f(%x: tensor<2x3x4xf32>) {
  // expected-error@+1 {{model.reshape: cannot reshape [2, 3, 4] (24 elements) to [5, -1]}}
  %0 = model.reshape %x array<i64: 5, -1> : tensor<2x3x4xf32> -> tensor<5x5xf32>
  func.return
}

// -----

// Flatten: the result does not hold the flattened size.
func.func @f(%x: tensor<2x3x4xf32>) {
  // expected-error@+1 {{model.flatten: result shape [2, 7] does not match the expected [2, 12]}}
  %0 = model.flatten %x {start = 1 : i64} : tensor<2x3x4xf32> -> tensor<2x7xf32>
  func.return
}

// -----

// Flatten: start out of range.
func.func @f(%x: tensor<2x3x4xf32>) {
  // expected-error@+1 {{model.flatten: start 3 is out of range for a tensor of rank 3}}
  %0 = model.flatten %x {start = 3 : i64} : tensor<2x3x4xf32> -> tensor<2x12xf32>
  func.return
}

// -----

// Concat: sizes differ outside the concatenation axis.
func.func @f(%x: tensor<2x3xf32>, %y: tensor<4x5xf32>) {
  // expected-error@+1 {{model.concat: sizes 3 and 5 differ in dimension 1}}
  %0 = model.concat %x, %y {axis = 0 : i64} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<6x3xf32>
  func.return
}

// -----

// Concat: ranks differ.
func.func @f(%x: tensor<2x3xf32>, %y: tensor<3xf32>) {
  // expected-error@+1 {{model.concat: all tensors must have the same rank}}
  %0 = model.concat %x, %y {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<5x3xf32>
  func.return
}

// -----

// Concat: the result size along the axis is not the sum.
func.func @f(%x: tensor<2x3xf32>, %y: tensor<4x3xf32>) {
  // expected-error@+1 {{model.concat: result shape [5, 3] does not match the expected [6, 3]}}
  %0 = model.concat %x, %y {axis = 0 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  func.return
}

// -----

// Slice: more subscripts than dimensions.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{model.slice: too many indices (3) for a tensor of rank 2}}
  %0 = model.slice %x ["0", "1", "2"] : tensor<2x3xf32> -> tensor<f32>
  func.return
}

// -----

// Slice: an index out of range.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{model.slice: index -3 is out of range for a dimension of size 2}}
  %0 = model.slice %x ["-3"] : tensor<2x3xf32> -> tensor<3xf32>
  func.return
}

// -----

// Slice: a malformed subscript.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{model.slice: malformed subscript in ["1:2:3:4"]}}
  %0 = model.slice %x ["1:2:3:4"] : tensor<2x3xf32> -> tensor<1x3xf32>
  func.return
}

// -----

// Slice: a zero step.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{model.slice: slice step must be positive}}
  %0 = model.slice %x [":", "::0"] : tensor<2x3xf32> -> tensor<2x3xf32>
  func.return
}

// -----

// Slice: the result shape is not the sliced shape.
func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{model.slice: result shape [2, 3] does not match the expected [1, 3]}}
  %0 = model.slice %x ["1:"] : tensor<2x3xf32> -> tensor<2x3xf32>
  func.return
}

// -----

// Creation: a dynamic shape.
func.func @f() {
  // expected-error@+1 {{model.zeros: the shape must be static}}
  %0 = model.zeros : tensor<?x3xf32>
  func.return
}

// -----

// Random creation: a dynamic shape.
func.func @f() {
  // expected-error@+1 {{model.randn: the shape must be static}}
  %0 = model.randn {seed = 1 : i64} : tensor<2x?xf32>
  func.return
}

// -----

// Arange: a 2-d result.
func.func @f() {
  // expected-error@+1 {{model.arange: the result must be 1-d}}
  %0 = model.arange : tensor<2x3xi64>
  func.return
}

// -----

// OneHot: the last dimension is not n.
func.func @f(%ids: tensor<?xi64>) {
  // expected-error@+1 {{model.one_hot: result shape [?, 5] does not match the expected [?, 10]}}
  %0 = model.one_hot %ids {n = 10 : i64} : tensor<?xi64> -> tensor<?x5xi64>
  func.return
}

// -----

// CrossEntropy: labels with a class dimension.
func.func @f(%l: tensor<?x10xf32>, %y: tensor<?x10xi64>) {
  // expected-error@+1 {{model.cross_entropy: labels [?, 10] do not match logits [?, 10]: labels must have the logits' shape without its last (class) dimension}}
  %0 = model.cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?x10xi64>) -> tensor<f32>
  func.return
}

// -----

// CrossEntropy: labels of another batch size.
func.func @f(%l: tensor<8x10xf32>, %y: tensor<4xi64>) {
  // expected-error@+1 {{model.cross_entropy: labels [4] do not match logits [8, 10]: labels must have the logits' shape without its last (class) dimension}}
  %0 = model.cross_entropy %l, %y : (tensor<8x10xf32>, tensor<4xi64>) -> tensor<f32>
  func.return
}

// -----

// Mse: the result is not 0-d.
func.func @f(%a: tensor<?x1xf32>, %b: tensor<?x1xf32>) {
  // expected-error@+1 {{model.mse: result shape [?] does not match the expected []}}
  %0 = model.mse %a, %b : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?xf32>
  func.return
}

// -----

// Mse: operands that do not broadcast.
func.func @f(%a: tensor<?x3xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{model.mse: shapes [?, 3] and [4] do not broadcast}}
  %0 = model.mse %a, %b : (tensor<?x3xf32>, tensor<4xf32>) -> tensor<f32>
  func.return
}

// -----

// Shape: a list of floats.
func.func @f(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{model.shape: the result must be a list of i64}}
  %0 = model.shape %x : tensor<?x4xf32> -> !model.list<f64>
  func.return
}

// -----

// List: an element of another type.
func.func @f(%a: i64, %b: f64) {
  // expected-error@+1 {{model.list: every element must have the list's type i64, got f64}}
  %0 = model.list %a, %b : (i64, f64) -> !model.list<i64>
  func.return
}

// -----

// Tuple: the result type does not list the element types.
func.func @f(%a: i64, %b: f64) {
  // expected-error@+1 {{model.tuple: result type must list the element types}}
  %0 = model.tuple %a, %b : (i64, f64) -> tuple<i64, i64>
  func.return
}

// -----

// For: the body argument is not the element type.
func.func @f(%l: !model.list<i64>) {
  // expected-error@+1 {{model.for: the body must take one argument of the element type i64, got (f64)}}
  model.for %l : !model.list<i64> {
  ^bb0(%i: f64):
    model.yield
  }
  func.return
}

// -----

// SliceRows: the result type differs from the operand's.
func.func @f(%d: !model.dataset, %n: i64) {
  // expected-error@+1 {{model.slice_rows: result type must equal the operand's}}
  %0 = model.slice_rows %d lo(%n : i64) : !model.dataset -> !model.list<i64>
  func.return
}

// -----

// ToFloat: a string operand.
func.func @f(%s: !model.str) {
  // expected-error@+1 {{model.to_float: operand must be a host number}}
  %0 = model.to_float %s : !model.str
  func.return
}

// -----

// Def: no forward method.
// expected-error@+1 {{model.def @Net has no 'forward' method}}
model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @w : tensor<4x4xf32> init "uniform"(1.0 : f64)
  func.func @encode(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    func.return %x : tensor<?x4xf32>
  }
}

// -----

// Param: an unknown initialiser.
model.def @Net attributes {source = "Net", hparams = {}} {
  // expected-error@+1 {{model.param: unknown init 'xavier', expected one of uniform, normal, ones, zeros}}
  model.param @w : tensor<4x4xf32> init "xavier"(1.0 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    func.return %x : tensor<?x4xf32>
  }
}

// -----

// Param: a dynamic shape.
model.def @Net attributes {source = "Net", hparams = {}} {
  // expected-error@+1 {{model.param: a parameter must have a static shape}}
  model.param @w : tensor<?x4xf32> init "uniform"(1.0 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    func.return %x : tensor<?x4xf32>
  }
}

// -----

// GetParam: an unknown symbol.
// expected-error@+1 {{'model.def' op model.get_param: no parameter @v in @Net}}
model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @w : tensor<4x4xf32> init "uniform"(1.0 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = model.get_param @v : tensor<4x4xf32>
    func.return %x : tensor<?x4xf32>
  }
}

// -----

// GetParam: the type differs from the declaration's.
// expected-error@+1 {{'model.def' op model.get_param: @w has type tensor<4x4xf32>, not tensor<4x8xf32>}}
model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @w : tensor<4x4xf32> init "uniform"(1.0 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = model.get_param @w : tensor<4x8xf32>
    func.return %x : tensor<?x4xf32>
  }
}

// -----

// GetParam: outside a model.def.
func.func @f() {
  // expected-error@+1 {{model.get_param must be inside a model.def}}
  %w = model.get_param @w : tensor<4x4xf32>
  func.return
}

// -----

// Def: an op other than model.param and func.func in the body.
// expected-error@+1 {{model.def may only hold model.param, model.tie and func.func, not model.print}}
model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @w : tensor<4x4xf32> init "uniform"(1.0 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    func.return %x : tensor<?x4xf32>
  }
  model.print
}

// -----

// Instantiate: the result type names another model.
func.func @f() {
  // expected-error@+1 {{model.instantiate: result type !model.model<"Other"> must name the definition @Net}}
  %0 = model.instantiate @Net : !model.model<"Other">
  func.return
}

// -----

// Instantiate: no such definition in the module.
func.func @f() {
  // expected-error@+1 {{model.instantiate: no model.def @Nope in this module}}
  %0 = model.instantiate @Nope : !model.model<"Nope">
  func.return
}

// -----

// Call: a method the definition does not have.
model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    func.return %x : tensor<?x4xf32>
  }
}
func.func @f(%x: tensor<2x4xf32>) {
  %m = model.instantiate @Net : !model.model<"Net">
  // expected-error@+1 {{model.call: model.def @Net has no method @decode}}
  %y = model.call %m @decode(%x) : !model.model<"Net">, (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return
}

// -----

// Call: an argument whose size the method's signature refuses.
model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    func.return %x : tensor<?x4xf32>
  }
}
func.func @f(%x: tensor<2x5xf32>) {
  %m = model.instantiate @Net : !model.model<"Net">
  // expected-error@+1 {{model.call: argument 0 of @forward is tensor<?x4xf32>, the call's tensor<2x5xf32>}}
  %y = model.call %m @forward(%x) : !model.model<"Net">, (tensor<2x5xf32>) -> tensor<2x4xf32>
  func.return
}

// -----

// Call: as many results as the method gives.
model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    func.return %x : tensor<?x4xf32>
  }
}
func.func @f(%x: tensor<2x4xf32>) {
  %m = model.instantiate @Net : !model.model<"Net">
  // expected-error@+1 {{model.call: the call has 2 result(s) where @forward has 1}}
  %y:2 = model.call %m @forward(%x) : !model.model<"Net">, (tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
  func.return
}

// -----

// Unpack: into one value is no unpacking.
func.func @f(%u: tensor<*xf32>) {
  // expected-error@+1 {{model.unpack: unpacks into two values or more}}
  %0 = model.unpack %u : tensor<*xf32> -> tensor<*xf32>
  func.return
}

// -----

// Expect_shapes: a result type that does not follow the dims.
func.func @f(%u: tensor<*xf32>) {
  // expected-error@+1 {{model.expect_shapes: result type tensor<?x4xf32> does not follow its value's dtype and dims}}
  %0 = model.expect_shapes %u dims [["N", 3 : i64]] labels ["argument 'x' of f"] : (tensor<*xf32>) -> tensor<?x4xf32>
  func.return
}

// -----

// Index: the element type of a list.
func.func @f(%l: !model.list<i64>, %n: i64) {
  // expected-error@+1 {{model.index: an element of !model.list<i64> is i64, not f64}}
  %0 = model.index %l[%n] : (!model.list<i64>, i64) -> f64
  func.return
}

// -----

// Index: a row of a tensor.
func.func @f(%x: tensor<?x4xf32>, %n: i64) {
  // expected-error@+1 {{model.index: an element of tensor<?x4xf32> is tensor<4xf32>, not tensor<5xi64>}}
  %0 = model.index %x[%n] : (tensor<?x4xf32>, i64) -> tensor<5xi64>
  func.return
}

// -----

// Index: a constant index beyond a tuple.
func.func @f(%t: tuple<i64, f64>) {
  %five = arith.constant 5 : i64
  // expected-error@+1 {{model.index: index 5 is out of range for 2 elements}}
  %0 = model.index %t[%five] : (tuple<i64, f64>, i64) -> i64
  func.return
}

// -----

// Index: a run-time index into a tuple of mixed types.
func.func @f(%t: tuple<i64, f64>, %n: i64) {
  // expected-error@+1 {{model.index: a tuple of mixed types needs a constant index}}
  %0 = model.index %t[%n] : (tuple<i64, f64>, i64) -> i64
  func.return
}

// -----

// Range: a list of integers.
func.func @f(%n: i64) {
  // expected-error@+1 {{model.range: gives !model.list<i64>, not !model.list<f64>}}
  %0 = model.range %n, %n : !model.list<f64>
  func.return
}

// -----

// Def: a parameter declared twice, reported at the second.
model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @w : tensor<4xf32> init "zeros"(0.0 : f64)
  // expected-error@+1 {{'model.def' op Redefinition of symbol "w"}}
  model.param @w : tensor<4xf32> init "zeros"(0.0 : f64)
}

// -----

// Parameter read by the host: a path that is no dotted field name.
func.func @f(%m: !model.model<"Net">) {
  // expected-error@+1 {{model.parameter: 'fc..bias' is no parameter name (dotted field names, as in a state dict)}}
  %0 = model.parameter %m "fc..bias" : !model.model<"Net"> -> tensor<3xf32>
  func.return
}

// -----

// Parameter read by the host: of a model whose definition is known only at run time.
func.func @f(%m: !model.model<"?">) {
  // expected-error@+1 {{model.parameter: the model's definition must be known at compile time}}
  %0 = model.parameter %m "fc.bias" : !model.model<"?"> -> tensor<3xf32>
  func.return
}
