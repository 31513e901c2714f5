// RUN: mopt %s --split-input-file -p select-torch-calls | filecheck %s

// Each chain of tensorops that one PyTorch call computes becomes that torchcall op; its
// other ops go, and constants that nothing reads any more are dropped too.

// SelectLinear: matmul of a transposed weight, plus a bias of the last size.
func.func @linear(%x: tensor<?x4xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %t = tensorops.transpose %w [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
  %p = tensorops.matmul %x, %t : tensor<?x4xf32>, tensor<4x8xf32> -> tensor<?x8xf32>
  %y = tensorops.add %p, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  func.return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @linear
// CHECK-NEXT:    %y = torchcall.linear %x, %w, %b : tensor<?x4xf32>, tensor<8x4xf32>, tensor<8xf32> -> tensor<?x8xf32>
// CHECK-NEXT:    func.return %y

// -----

// SelectLinear: a layer called twice shares the transpose of its weight; each call reads
// the weight.
func.func @twice(%x: tensor<?x4xf32>, %w: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %t = tensorops.transpose %w [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
  %h = tensorops.matmul %x, %t : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %y = tensorops.matmul %h, %t : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  func.return %y : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @twice
// CHECK-NEXT:    %h = torchcall.linear %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    %y = torchcall.linear %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y

// -----

// SelectLinear: no linear layer of x reads x transposed (`x @ x^T`).
func.func @square(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %t = tensorops.transpose %x [1, 0] : tensor<3x3xf32> -> tensor<3x3xf32>
  %y = tensorops.matmul %t, %t : tensor<3x3xf32>, tensor<3x3xf32> -> tensor<3x3xf32>
  func.return %y : tensor<3x3xf32>
}

// CHECK-LABEL: func.func @square
// CHECK-NOT:     torchcall
// CHECK:         tensorops.matmul

// -----

// SelectSoftmax and SelectLogSoftmax, along the last axis.
func.func @softmax(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %m = tensorops.reduce_max %x axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %d = tensorops.sub %x, %m : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %e = tensorops.exp %d : tensor<?x8xf32>
  %s = tensorops.reduce_sum %e axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %y = tensorops.div %e, %s : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %m2 = tensorops.reduce_max %x axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %d2 = tensorops.sub %x, %m2 : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %e2 = tensorops.exp %d2 : tensor<?x8xf32>
  %s2 = tensorops.reduce_sum %e2 axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %l2 = tensorops.log %s2 : tensor<?x1xf32>
  %z = tensorops.sub %d2, %l2 : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  func.return %y, %z : tensor<?x8xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func.func @softmax
// CHECK-NEXT:    %y = torchcall.softmax %x dim 1 : tensor<?x8xf32>
// CHECK-NEXT:    %z = torchcall.log_softmax %x dim 1 : tensor<?x8xf32>
// CHECK-NEXT:    func.return %y, %z

// -----

// SelectSoftmax: an inner value that something else reads keeps the ops.
func.func @escapes(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %m = tensorops.reduce_max %x axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %d = tensorops.sub %x, %m : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %e = tensorops.exp %d : tensor<?x8xf32>
  %s = tensorops.reduce_sum %e axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %y = tensorops.div %e, %s : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  func.return %y, %e : tensor<?x8xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func.func @escapes
// CHECK-NOT:     torchcall
// CHECK:         %y = tensorops.div %e, %s

// -----

// SelectLayerNorm and SelectGelu: the nine ops of `lower-norms` and the exact gelu.
func.func @norm_gelu(%x: tensor<?x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %mean = tensorops.reduce_mean %x axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %c = tensorops.sub %x, %mean : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %sq = tensorops.mul %c, %c : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %var = tensorops.reduce_mean %sq axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %eps = tensorops.constant dense<1.000000e-05> : tensor<f32>
  %ve = tensorops.add %var, %eps : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %r = tensorops.rsqrt %ve : tensor<?x1xf32>
  %n = tensorops.mul %c, %r : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %nw = tensorops.mul %n, %w : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %h = tensorops.add %nw, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %k = tensorops.constant dense<0.707106769> : tensor<f32>
  %hk = tensorops.mul %h, %k : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %erf = tensorops.erf %hk : tensor<?x8xf32>
  %one = tensorops.constant dense<1.000000e+00> : tensor<f32>
  %p = tensorops.add %erf, %one : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %half = tensorops.constant dense<5.000000e-01> : tensor<f32>
  %hh = tensorops.mul %h, %half : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %y = tensorops.mul %hh, %p : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  func.return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @norm_gelu
// CHECK-NEXT:    %h = torchcall.layer_norm %x, %w, %b eps 1.000000e-05 : f32 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
// CHECK-NEXT:    %y = torchcall.gelu %h : tensor<?x8xf32>
// CHECK-NEXT:    func.return %y

// -----

// SelectRmsNorm: the five ops of `lower-norms`' RMS norm.
func.func @rms_norm(%x: tensor<?x8xf32>, %w: tensor<8xf32>) -> tensor<?x8xf32> {
  %sq = tensorops.mul %x, %x : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %ms = tensorops.reduce_mean %sq axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %eps = tensorops.constant dense<1.000000e-06> : tensor<f32>
  %me = tensorops.add %ms, %eps : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %r = tensorops.rsqrt %me : tensor<?x1xf32>
  %n = tensorops.mul %x, %r : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %y = tensorops.mul %n, %w : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  func.return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @rms_norm
// CHECK-NEXT:    %y = torchcall.rms_norm %x, %w eps 1.000000e-06 : f32 : tensor<?x8xf32>, tensor<8xf32>
// CHECK-NEXT:    func.return %y

// -----

// Not an RMS norm: the mean over the first axis, and the norm before the weight read
// elsewhere.
func.func @not_rms_norm(%x: tensor<8x8xf32>, %w: tensor<8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %sq = tensorops.mul %x, %x : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  %ms = tensorops.reduce_mean %sq axes [0] keepdim : tensor<8x8xf32> -> tensor<1x8xf32>
  %eps = tensorops.constant dense<1.000000e-06> : tensor<f32>
  %me = tensorops.add %ms, %eps : tensor<1x8xf32>, tensor<f32> -> tensor<1x8xf32>
  %r = tensorops.rsqrt %me : tensor<1x8xf32>
  %n = tensorops.mul %x, %r : tensor<8x8xf32>, tensor<1x8xf32> -> tensor<8x8xf32>
  %y = tensorops.mul %n, %w : tensor<8x8xf32>, tensor<8xf32> -> tensor<8x8xf32>
  %sq2 = tensorops.mul %x, %x : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  %ms2 = tensorops.reduce_mean %sq2 axes [1] keepdim : tensor<8x8xf32> -> tensor<8x1xf32>
  %me2 = tensorops.add %ms2, %eps : tensor<8x1xf32>, tensor<f32> -> tensor<8x1xf32>
  %r2 = tensorops.rsqrt %me2 : tensor<8x1xf32>
  %n2 = tensorops.mul %x, %r2 : tensor<8x8xf32>, tensor<8x1xf32> -> tensor<8x8xf32>
  %y2 = tensorops.mul %n2, %w : tensor<8x8xf32>, tensor<8xf32> -> tensor<8x8xf32>
  %z = tensorops.add %y, %n2 : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  func.return %z, %y2 : tensor<8x8xf32>, tensor<8x8xf32>
}

// CHECK-LABEL: func.func @not_rms_norm
// CHECK-NOT:     torchcall.rms_norm
// CHECK:         func.return

// -----

// SelectSilu and SelectRelu; SelectScalarArith for arithmetic with a 0-d constant.
func.func @pointwise(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %s = tensorops.sigmoid %x : tensor<4xf32>
  %silu = tensorops.mul %x, %s : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %zero = tensorops.constant dense<0.000000e+00> : tensor<f32>
  %relu = tensorops.maximum %silu, %zero : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %c = tensorops.constant dense<3.000000e+00> : tensor<f32>
  %times = tensorops.mul %relu, %c : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %minus = tensorops.sub %c, %x : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
  %over = tensorops.div %c, %x : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
  func.return %silu, %times, %minus, %over : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @pointwise
// CHECK-NEXT:    %silu = torchcall.silu %x : tensor<4xf32>
// CHECK-NEXT:    %relu = torchcall.relu %silu : tensor<4xf32>
// CHECK-NEXT:    %times = torchcall.tensor_scalar %relu "*" 3.000000e+00 : f32 : tensor<4xf32>
// CHECK-NEXT:    %minus = torchcall.scalar_tensor 3.000000e+00 : f32 "-" %x : tensor<4xf32>
// CHECK-NEXT:    %over = torchcall.scalar_tensor 3.000000e+00 : f32 "/" %x : tensor<4xf32>
// CHECK-NEXT:    func.return

// -----

// SelectRelu: maximum with -0.0 gives -0.0 where relu gives +0.0, so it stays.
func.func @negative_zero(%x: tensor<3xf32>) -> tensor<3xf32> {
  %z = tensorops.constant dense<-0.0> : tensor<f32>
  %y = tensorops.maximum %x, %z : tensor<3xf32>, tensor<f32> -> tensor<3xf32>
  func.return %y : tensor<3xf32>
}

// CHECK-LABEL: func.func @negative_zero
// CHECK-NOT:     torchcall
// CHECK:         tensorops.maximum

// -----

// SelectInt8QuantizeRows: the per-row scale and its quantize are one call, which gives
// the scales too; SelectInt8Linear: the int8 product of a linear layer's quantized
// weight, scaled, plus the bias.
func.func @int8(%x: tensor<?x4xf32>, %wq: tensor<3x4xi8>, %sq: tensor<3x1xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %hi = tensorops.reduce_max %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
  %lo = tensorops.reduce_min %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
  %neg = tensorops.neg %lo : tensor<?x1xf32>
  %absmax = tensorops.maximum %hi, %neg : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %qmax = tensorops.constant dense<1.270000e+02> : tensor<f32>
  %s0 = tensorops.div %absmax, %qmax : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %zero = tensorops.constant dense<0.000000e+00> : tensor<f32>
  %positive = tensorops.gt %s0, %zero : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xi1>
  %one = tensorops.constant dense<1.000000e+00> : tensor<f32>
  %xs = tensorops.select %positive, %s0, %one : tensor<?x1xi1>, tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %xq = tensorops.quantize %x, %xs : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xi8>
  %wt = tensorops.transpose %wq [1, 0] : tensor<3x4xi8> -> tensor<4x3xi8>
  %acc = tensorops.matmul %xq, %wt : tensor<?x4xi8>, tensor<4x3xi8> -> tensor<?x3xi32>
  %f = tensorops.cast %acc : tensor<?x3xi32> -> tensor<?x3xf32>
  %fx = tensorops.mul %f, %xs : tensor<?x3xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  %st = tensorops.transpose %sq [1, 0] : tensor<3x1xf32> -> tensor<1x3xf32>
  %fxw = tensorops.mul %fx, %st : tensor<?x3xf32>, tensor<1x3xf32> -> tensor<?x3xf32>
  %y = tensorops.add %fxw, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  func.return %y : tensor<?x3xf32>
}

// CHECK-LABEL: func.func @int8
// CHECK-NEXT:    %xq, %xs = torchcall.int8_quantize_rows %x dim 1 : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
// CHECK-NEXT:    %y = torchcall.int8_linear %xq, %wq, %xs, %sq, %b : tensor<?x4xi8>, tensor<3x4xi8>, tensor<?x1xf32>, tensor<3x1xf32>, tensor<3xf32> -> tensor<?x3xf32>
// CHECK-NEXT:    func.return %y

// -----

// SelectInt8RowScale: a reader of the scales before the quantize keeps the scale a call
// of its own; SelectInt8Linear without transposes is int8_scaled_matmul.
func.func @row_scale(%x: tensor<?x4xf32>, %w: tensor<4x3xi8>, %ws: tensor<1x3xf32>) -> (tensor<?x3xf32>, tensor<?x1xf32>) {
  %hi = tensorops.reduce_max %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
  %lo = tensorops.reduce_min %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
  %neg = tensorops.neg %lo : tensor<?x1xf32>
  %absmax = tensorops.maximum %hi, %neg : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %qmax = tensorops.constant dense<1.270000e+02> : tensor<f32>
  %s0 = tensorops.div %absmax, %qmax : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %zero = tensorops.constant dense<0.000000e+00> : tensor<f32>
  %positive = tensorops.gt %s0, %zero : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xi1>
  %one = tensorops.constant dense<1.000000e+00> : tensor<f32>
  %xs = tensorops.select %positive, %s0, %one : tensor<?x1xi1>, tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %early = tensorops.neg %xs : tensor<?x1xf32>
  %xq = tensorops.quantize %x, %xs : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xi8>
  %acc = tensorops.matmul %xq, %w : tensor<?x4xi8>, tensor<4x3xi8> -> tensor<?x3xi32>
  %f = tensorops.cast %acc : tensor<?x3xi32> -> tensor<?x3xf32>
  %fx = tensorops.mul %f, %xs : tensor<?x3xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  %y = tensorops.mul %fx, %ws : tensor<?x3xf32>, tensor<1x3xf32> -> tensor<?x3xf32>
  func.return %y, %early : tensor<?x3xf32>, tensor<?x1xf32>
}

// CHECK-LABEL: func.func @row_scale
// CHECK-NEXT:    %xs = torchcall.int8_row_scale %x dim 1 : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    %early = tensorops.neg %xs
// CHECK-NEXT:    %xq = tensorops.quantize %x, %xs
// CHECK-NEXT:    %y = torchcall.int8_scaled_matmul %xq, %w, %xs, %ws : tensor<?x4xi8>, tensor<4x3xi8>, tensor<?x1xf32>, tensor<1x3xf32> -> tensor<?x3xf32>
// CHECK-NEXT:    func.return %y, %early
