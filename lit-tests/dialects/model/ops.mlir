// RUN: %roundtrip %s | filecheck %s

// Every op of the `model` dialect, printed in its custom format, reparsed from the generic
// format and printed again: the output must equal the input line for line.

// Structure: a specialised model with parameters of every init kind, methods reading
// them with get_param, and a method with two results.
// CHECK-LABEL: model.def @Classifier_64_128_10 attributes {source = "Classifier", hparams = {features = 64 : i64, hidden = 128 : i64, classes = 10 : i64}} {
model.def @Classifier_64_128_10 attributes {source = "Classifier", hparams = {features = 64 : i64, hidden = 128 : i64, classes = 10 : i64}} {
// CHECK-NEXT: model.param @fc1.weight : tensor<128x64xf32> init "uniform"(1.250000e-01 : f64)
  model.param @fc1.weight : tensor<128x64xf32> init "uniform"(1.250000e-01 : f64)
// CHECK-NEXT: model.param @fc1.bias : tensor<128xf32> init "uniform"(1.250000e-01 : f64)
  model.param @fc1.bias : tensor<128xf32> init "uniform"(1.250000e-01 : f64)
// CHECK-NEXT: model.param @emb.weight : tensor<16x8xf32> init "normal"(1.000000e+00 : f64)
  model.param @emb.weight : tensor<16x8xf32> init "normal"(1.000000e+00 : f64)
// CHECK-NEXT: model.param @norm.weight : tensor<8xf32> init "ones"(1.000000e+00 : f64)
  model.param @norm.weight : tensor<8xf32> init "ones"(1.000000e+00 : f64)
// CHECK-NEXT: model.param @norm.bias : tensor<8xf32> init "zeros"(0.000000e+00 : f64)
  model.param @norm.bias : tensor<8xf32> init "zeros"(0.000000e+00 : f64)
// CHECK-NEXT: model.param @blocks.0.attn.q.weight : tensor<8x8xf32> init "uniform"(0.35355339059327373 : f64)
  model.param @blocks.0.attn.q.weight : tensor<8x8xf32> init "uniform"(0.35355339059327373 : f64)
// CHECK-NEXT: func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
  func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
// CHECK-NEXT: [[W:%[a-z0-9_]+]] = model.get_param @fc1.weight : tensor<128x64xf32>
    %w = model.get_param @fc1.weight : tensor<128x64xf32>
// CHECK-NEXT: [[B:%[a-z0-9_]+]] = model.get_param @fc1.bias : tensor<128xf32>
    %b = model.get_param @fc1.bias : tensor<128xf32>
// CHECK-NEXT: [[Y:%[a-z0-9_]+]] = model.linear %x, [[W]], [[B]] {layer = "fc1"} : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
    %y = model.linear %x, %w, %b {layer = "fc1"} : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
// CHECK-NEXT: func.return [[Y]] : tensor<?x128xf32>
    func.return %y : tensor<?x128xf32>
// CHECK-NEXT: }
  }
// CHECK-NEXT: func.func @encode(%ids: tensor<?x5xi64>) -> tensor<?x5x8xf32> {
  func.func @encode(%ids: tensor<?x5xi64>) -> tensor<?x5x8xf32> {
// CHECK-NEXT: [[W:%[a-z0-9_]+]] = model.get_param @emb.weight : tensor<16x8xf32>
    %w = model.get_param @emb.weight : tensor<16x8xf32>
// CHECK-NEXT: [[E:%[a-z0-9_]+]] = model.embedding %ids, [[W]] {layer = "emb"} : (tensor<?x5xi64>, tensor<16x8xf32>) -> tensor<?x5x8xf32>
    %e = model.embedding %ids, %w {layer = "emb"} : (tensor<?x5xi64>, tensor<16x8xf32>) -> tensor<?x5x8xf32>
// CHECK-NEXT: func.return [[E]] : tensor<?x5x8xf32>
    func.return %e : tensor<?x5x8xf32>
// CHECK-NEXT: }
  }
// CHECK-NEXT: func.func @twice(%x: tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  func.func @twice(%x: tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
// CHECK-NEXT: [[W:%[a-z0-9_]+]] = model.get_param @fc1.weight : tensor<128x64xf32>
    %w = model.get_param @fc1.weight : tensor<128x64xf32>
// CHECK-NEXT: [[Y:%[a-z0-9_]+]] = model.linear %x, [[W]] : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
    %y = model.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
// CHECK-NEXT: [[R:%[a-z0-9_]+]] = model.relu [[Y]] : tensor<?x128xf32> -> tensor<?x128xf32>
    %r = model.relu %y : tensor<?x128xf32> -> tensor<?x128xf32>
// CHECK-NEXT: func.return [[Y]], [[R]] : tensor<?x128xf32>, tensor<?x128xf32>
    func.return %y, %r : tensor<?x128xf32>, tensor<?x128xf32>
// CHECK-NEXT: }
  }
// CHECK-NEXT: }
}

// The built-in layers, with and without their optional bias operand.
// CHECK-LABEL: func.func @layers(%x: tensor<?x64xf32>, %w: tensor<10x64xf32>, %b: tensor<10xf32>, %img: tensor<2x3x8x8xf32>, %k: tensor<4x3x3x3xf32>, %kb: tensor<4xf32>, %ids: tensor<?x5xi64>, %table: tensor<16x8xf32>, %seq: tensor<?x5x8xf32>, %g: tensor<8xf32>, %wq: tensor<8x8xf32>) {
func.func @layers(%x: tensor<?x64xf32>, %w: tensor<10x64xf32>, %b: tensor<10xf32>, %img: tensor<2x3x8x8xf32>, %k: tensor<4x3x3x3xf32>, %kb: tensor<4xf32>, %ids: tensor<?x5xi64>, %table: tensor<16x8xf32>, %seq: tensor<?x5x8xf32>, %g: tensor<8xf32>, %wq: tensor<8x8xf32>) {
// CHECK-NEXT: [[LIN:%[a-z0-9_]+]] = model.linear %x, %w, %b {layer = "fc"} : (tensor<?x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  %lin = model.linear %x, %w, %b {layer = "fc"} : (tensor<?x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<?x10xf32>
// CHECK-NEXT: [[LIN_NOBIAS:%[a-z0-9_]+]] = model.linear %x, %w : (tensor<?x64xf32>, tensor<10x64xf32>) -> tensor<?x10xf32>
  %lin_nobias = model.linear %x, %w : (tensor<?x64xf32>, tensor<10x64xf32>) -> tensor<?x10xf32>
// CHECK-NEXT: [[CONV:%[a-z0-9_]+]] = model.conv2d %img, %k, %kb {padding = 1 : i64, stride = 1 : i64} : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x8x8xf32>
  %conv = model.conv2d %img, %k, %kb {padding = 1 : i64, stride = 1 : i64} : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x8x8xf32>
// CHECK-NEXT: [[CONV_S2:%[a-z0-9_]+]] = model.conv2d %img, %k {padding = 0 : i64, stride = 2 : i64} : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x3x3xf32>
  %conv_s2 = model.conv2d %img, %k {padding = 0 : i64, stride = 2 : i64} : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x3x3xf32>
// CHECK-NEXT: [[EMB:%[a-z0-9_]+]] = model.embedding %ids, %table : (tensor<?x5xi64>, tensor<16x8xf32>) -> tensor<?x5x8xf32>
  %emb = model.embedding %ids, %table : (tensor<?x5xi64>, tensor<16x8xf32>) -> tensor<?x5x8xf32>
// CHECK-NEXT: [[LN:%[a-z0-9_]+]] = model.layer_norm %seq, %g, %g {eps = 1.000000e-05 : f64} : (tensor<?x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
  %ln = model.layer_norm %seq, %g, %g {eps = 1.000000e-05 : f64} : (tensor<?x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
// CHECK-NEXT: [[RMS:%[a-z0-9_]+]] = model.rms_norm %seq, %g {eps = 1.000000e-06 : f64} : (tensor<?x5x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
  %rms = model.rms_norm %seq, %g {eps = 1.000000e-06 : f64} : (tensor<?x5x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
// CHECK-NEXT: [[ATTN:%[a-z0-9_]+]] = model.attention %seq, %wq, %g, %wq, %g, %wq, %g, %wq, %g {layer = "blocks.0.attn", causal = true, heads = 2 : i64} : (tensor<?x5x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
  %attn = model.attention %seq, %wq, %g, %wq, %g, %wq, %g, %wq, %g {layer = "blocks.0.attn", causal = true, heads = 2 : i64} : (tensor<?x5x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
// CHECK-NEXT: [[DROP:%[a-z0-9_]+]] = model.dropout %seq {p = 1.000000e-01 : f64} : tensor<?x5x8xf32> -> tensor<?x5x8xf32>
  %drop = model.dropout %seq {p = 1.000000e-01 : f64} : tensor<?x5x8xf32> -> tensor<?x5x8xf32>
// CHECK-NEXT: [[MAXP:%[a-z0-9_]+]] = model.max_pool2d %img {kernel = 2 : i64, stride = 2 : i64} : tensor<2x3x8x8xf32> -> tensor<2x3x4x4xf32>
  %maxp = model.max_pool2d %img {kernel = 2 : i64, stride = 2 : i64} : tensor<2x3x8x8xf32> -> tensor<2x3x4x4xf32>
// CHECK-NEXT: [[AVGP:%[a-z0-9_]+]] = model.avg_pool2d %img {kernel = 3 : i64, stride = 1 : i64} : tensor<2x3x8x8xf32> -> tensor<2x3x6x6xf32>
  %avgp = model.avg_pool2d %img {kernel = 3 : i64, stride = 1 : i64} : tensor<2x3x8x8xf32> -> tensor<2x3x6x6xf32>
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Elementwise unary ops on tensors and on host scalars.
// CHECK-LABEL: func.func @unary(%x: tensor<?x4xf32>, %c: tensor<?x4xi1>, %n: i64, %f: f64, %t: i1) {
func.func @unary(%x: tensor<?x4xf32>, %c: tensor<?x4xi1>, %n: i64, %f: f64, %t: i1) {
// CHECK-NEXT: [[RELU:%[a-z0-9_]+]] = model.relu %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %relu = model.relu %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[GELU:%[a-z0-9_]+]] = model.gelu %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %gelu = model.gelu %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[SILU:%[a-z0-9_]+]] = model.silu %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %silu = model.silu %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[SIGMOID:%[a-z0-9_]+]] = model.sigmoid %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %sigmoid = model.sigmoid %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[TANH:%[a-z0-9_]+]] = model.tanh %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %tanh = model.tanh %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[EXP:%[a-z0-9_]+]] = model.exp %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %exp = model.exp %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[LOG:%[a-z0-9_]+]] = model.log %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %log = model.log %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[SQRT:%[a-z0-9_]+]] = model.sqrt %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %sqrt = model.sqrt %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[RSQRT:%[a-z0-9_]+]] = model.rsqrt %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %rsqrt = model.rsqrt %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[ABS:%[a-z0-9_]+]] = model.abs %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %abs = model.abs %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[SIN:%[a-z0-9_]+]] = model.sin %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %sin = model.sin %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[COS:%[a-z0-9_]+]] = model.cos %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %cos = model.cos %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[NEG:%[a-z0-9_]+]] = model.neg %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %neg = model.neg %x : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[NOT:%[a-z0-9_]+]] = model.not %c : tensor<?x4xi1> -> tensor<?x4xi1>
  %not = model.not %c : tensor<?x4xi1> -> tensor<?x4xi1>
// CHECK-NEXT: [[NEG_HOST:%[a-z0-9_]+]] = model.neg %n : i64 -> i64
  %neg_host = model.neg %n : i64 -> i64
// CHECK-NEXT: [[SQRT_HOST:%[a-z0-9_]+]] = model.sqrt %f : f64 -> f64
  %sqrt_host = model.sqrt %f : f64 -> f64
// CHECK-NEXT: [[NOT_HOST:%[a-z0-9_]+]] = model.not %t : i1 -> i1
  %not_host = model.not %t : i1 -> i1
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Elementwise binary ops with broadcasting, on tensors and on host scalars.
// CHECK-LABEL: func.func @binary(%x: tensor<?x4xf32>, %row: tensor<4xf32>, %s: tensor<f32>, %p: tensor<?x4xi1>, %q: tensor<?x4xi1>, %n: i64, %f: f64) {
func.func @binary(%x: tensor<?x4xf32>, %row: tensor<4xf32>, %s: tensor<f32>, %p: tensor<?x4xi1>, %q: tensor<?x4xi1>, %n: i64, %f: f64) {
// CHECK-NEXT: [[ADD:%[a-z0-9_]+]] = model.add %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %add = model.add %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: [[SUB:%[a-z0-9_]+]] = model.sub %x, %s : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %sub = model.sub %x, %s : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
// CHECK-NEXT: [[MUL:%[a-z0-9_]+]] = model.mul %row, %x : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %mul = model.mul %row, %x : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: [[DIV:%[a-z0-9_]+]] = model.div %x, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %div = model.div %x, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: [[POW:%[a-z0-9_]+]] = model.pow %x, %s : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %pow = model.pow %x, %s : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
// CHECK-NEXT: [[MAXIMUM:%[a-z0-9_]+]] = model.maximum %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %maximum = model.maximum %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: [[MINIMUM:%[a-z0-9_]+]] = model.minimum %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %minimum = model.minimum %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: [[AND:%[a-z0-9_]+]] = model.and %p, %q : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
  %and = model.and %p, %q : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
// CHECK-NEXT: [[OR:%[a-z0-9_]+]] = model.or %p, %q : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
  %or = model.or %p, %q : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
// CHECK-NEXT: [[ADD_HOST:%[a-z0-9_]+]] = model.add %n, %n : (i64, i64) -> i64
  %add_host = model.add %n, %n : (i64, i64) -> i64
// CHECK-NEXT: [[MUL_HOST:%[a-z0-9_]+]] = model.mul %f, %f : (f64, f64) -> f64
  %mul_host = model.mul %f, %f : (f64, f64) -> f64
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Comparisons give i1 elements (or an i1 host scalar).
// CHECK-LABEL: func.func @compare(%x: tensor<?x4xf32>, %row: tensor<4xf32>, %n: i64, %f: f64) {
func.func @compare(%x: tensor<?x4xf32>, %row: tensor<4xf32>, %n: i64, %f: f64) {
// CHECK-NEXT: [[EQ:%[a-z0-9_]+]] = model.eq %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %eq = model.eq %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT: [[NE:%[a-z0-9_]+]] = model.ne %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %ne = model.ne %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT: [[LT:%[a-z0-9_]+]] = model.lt %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %lt = model.lt %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT: [[LE:%[a-z0-9_]+]] = model.le %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %le = model.le %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT: [[GT:%[a-z0-9_]+]] = model.gt %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %gt = model.gt %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT: [[GE:%[a-z0-9_]+]] = model.ge %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %ge = model.ge %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT: [[LT_HOST:%[a-z0-9_]+]] = model.lt %f, %f : (f64, f64) -> i1
  %lt_host = model.lt %f, %f : (f64, f64) -> i1
// CHECK-NEXT: [[EQ_HOST:%[a-z0-9_]+]] = model.eq %n, %n : (i64, i64) -> i1
  %eq_host = model.eq %n, %n : (i64, i64) -> i1
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Matrix products (2-d, batched, matrix-vector), where, clamp and cast.
// CHECK-LABEL: func.func @matmul_where_clamp_cast(%a: tensor<?x4xf32>, %w: tensor<4x3xf32>, %batched: tensor<2x?x4x5xf32>, %rhs: tensor<5x6xf32>, %v: tensor<4xf32>, %c: tensor<?x4xi1>, %z: tensor<f32>) {
func.func @matmul_where_clamp_cast(%a: tensor<?x4xf32>, %w: tensor<4x3xf32>, %batched: tensor<2x?x4x5xf32>, %rhs: tensor<5x6xf32>, %v: tensor<4xf32>, %c: tensor<?x4xi1>, %z: tensor<f32>) {
// CHECK-NEXT: [[MM:%[a-z0-9_]+]] = model.matmul %a, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %mm = model.matmul %a, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: [[BMM:%[a-z0-9_]+]] = model.matmul %batched, %rhs : (tensor<2x?x4x5xf32>, tensor<5x6xf32>) -> tensor<2x?x4x6xf32>
  %bmm = model.matmul %batched, %rhs : (tensor<2x?x4x5xf32>, tensor<5x6xf32>) -> tensor<2x?x4x6xf32>
// CHECK-NEXT: [[MV:%[a-z0-9_]+]] = model.matmul %a, %v : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?xf32>
  %mv = model.matmul %a, %v : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?xf32>
// CHECK-NEXT: [[WHERE:%[a-z0-9_]+]] = model.where %c, %a, %z : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %where = model.where %c, %a, %z : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
// CHECK-NEXT: [[CLAMP:%[a-z0-9_]+]] = model.clamp %a {hi = 1.000000e+00 : f64, lo = -1.000000e+00 : f64} : tensor<?x4xf32> -> tensor<?x4xf32>
  %clamp = model.clamp %a {hi = 1.000000e+00 : f64, lo = -1.000000e+00 : f64} : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[CAST:%[a-z0-9_]+]] = model.cast %a : tensor<?x4xf32> -> tensor<?x4xi64>
  %cast = model.cast %a : tensor<?x4xf32> -> tensor<?x4xi64>
// CHECK-NEXT: [[CAST_F16:%[a-z0-9_]+]] = model.cast %c : tensor<?x4xi1> -> tensor<?x4xf16>
  %cast_f16 = model.cast %c : tensor<?x4xi1> -> tensor<?x4xf16>
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Reductions over one axis, all axes, with keepdim; softmax and log_softmax.
// CHECK-LABEL: func.func @reductions(%x: tensor<?x4x5xf32>, %i: tensor<3x4xi64>) {
func.func @reductions(%x: tensor<?x4x5xf32>, %i: tensor<3x4xi64>) {
// CHECK-NEXT: [[SUM_ALL:%[a-z0-9_]+]] = model.sum %x : tensor<?x4x5xf32> -> tensor<f32>
  %sum_all = model.sum %x : tensor<?x4x5xf32> -> tensor<f32>
// CHECK-NEXT: [[SUM:%[a-z0-9_]+]] = model.sum %x {axis = 1 : i64} : tensor<?x4x5xf32> -> tensor<?x5xf32>
  %sum = model.sum %x {axis = 1 : i64} : tensor<?x4x5xf32> -> tensor<?x5xf32>
// CHECK-NEXT: [[SUM_KEEP:%[a-z0-9_]+]] = model.sum %x {axis = -1 : i64, keepdim = true} : tensor<?x4x5xf32> -> tensor<?x4x1xf32>
  %sum_keep = model.sum %x {axis = -1 : i64, keepdim = true} : tensor<?x4x5xf32> -> tensor<?x4x1xf32>
// CHECK-NEXT: [[SUM_INT:%[a-z0-9_]+]] = model.sum %i : tensor<3x4xi64> -> tensor<i64>
  %sum_int = model.sum %i : tensor<3x4xi64> -> tensor<i64>
// CHECK-NEXT: [[MEAN:%[a-z0-9_]+]] = model.mean %x {axis = 1 : i64} : tensor<?x4x5xf32> -> tensor<?x5xf32>
  %mean = model.mean %x {axis = 1 : i64} : tensor<?x4x5xf32> -> tensor<?x5xf32>
// CHECK-NEXT: [[MEAN_KEEP_ALL:%[a-z0-9_]+]] = model.mean %x {keepdim = true} : tensor<?x4x5xf32> -> tensor<1x1x1xf32>
  %mean_keep_all = model.mean %x {keepdim = true} : tensor<?x4x5xf32> -> tensor<1x1x1xf32>
// CHECK-NEXT: [[MAX:%[a-z0-9_]+]] = model.max %x {axis = 2 : i64} : tensor<?x4x5xf32> -> tensor<?x4xf32>
  %max = model.max %x {axis = 2 : i64} : tensor<?x4x5xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[MIN:%[a-z0-9_]+]] = model.min %i {axis = 0 : i64} : tensor<3x4xi64> -> tensor<4xi64>
  %min = model.min %i {axis = 0 : i64} : tensor<3x4xi64> -> tensor<4xi64>
// CHECK-NEXT: [[ARGMAX:%[a-z0-9_]+]] = model.argmax %x {axis = -1 : i64} : tensor<?x4x5xf32> -> tensor<?x4xi64>
  %argmax = model.argmax %x {axis = -1 : i64} : tensor<?x4x5xf32> -> tensor<?x4xi64>
// CHECK-NEXT: [[SOFTMAX:%[a-z0-9_]+]] = model.softmax %x {axis = -1 : i64} : tensor<?x4x5xf32> -> tensor<?x4x5xf32>
  %softmax = model.softmax %x {axis = -1 : i64} : tensor<?x4x5xf32> -> tensor<?x4x5xf32>
// CHECK-NEXT: [[LOG_SOFTMAX:%[a-z0-9_]+]] = model.log_softmax %x {axis = 1 : i64} : tensor<?x4x5xf32> -> tensor<?x4x5xf32>
  %log_softmax = model.log_softmax %x {axis = 1 : i64} : tensor<?x4x5xf32> -> tensor<?x4x5xf32>
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Layout ops; slice subscripts are strings with negative and strided forms.
// CHECK-LABEL: func.func @layout(%x: tensor<?x4x6xf32>, %y: tensor<?x4x2xf32>, %m: tensor<2x3x4xf32>) {
func.func @layout(%x: tensor<?x4x6xf32>, %y: tensor<?x4x2xf32>, %m: tensor<2x3x4xf32>) {
// CHECK-NEXT: [[TRANSPOSE:%[a-z0-9_]+]] = model.transpose %x {dim0 = 1 : i64, dim1 = -1 : i64} : tensor<?x4x6xf32> -> tensor<?x6x4xf32>
  %transpose = model.transpose %x {dim0 = 1 : i64, dim1 = -1 : i64} : tensor<?x4x6xf32> -> tensor<?x6x4xf32>
// CHECK-NEXT: [[PERMUTE:%[a-z0-9_]+]] = model.permute %x array<i64: 2, 0, 1> : tensor<?x4x6xf32> -> tensor<6x?x4xf32>
  %permute = model.permute %x array<i64: 2, 0, 1> : tensor<?x4x6xf32> -> tensor<6x?x4xf32>
// CHECK-NEXT: [[RESHAPE:%[a-z0-9_]+]] = model.reshape %x array<i64: -1, 2, 12> : tensor<?x4x6xf32> -> tensor<?x2x12xf32>
  %reshape = model.reshape %x array<i64: -1, 2, 12> : tensor<?x4x6xf32> -> tensor<?x2x12xf32>
// CHECK-NEXT: [[RESHAPE_STATIC:%[a-z0-9_]+]] = model.reshape %m array<i64: 6, -1> : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %reshape_static = model.reshape %m array<i64: 6, -1> : tensor<2x3x4xf32> -> tensor<6x4xf32>
// CHECK-NEXT: [[FLATTEN:%[a-z0-9_]+]] = model.flatten %x {start = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x24xf32>
  %flatten = model.flatten %x {start = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x24xf32>
// CHECK-NEXT: [[CONCAT:%[a-z0-9_]+]] = model.concat %x, %y {axis = 2 : i64} : (tensor<?x4x6xf32>, tensor<?x4x2xf32>) -> tensor<?x4x8xf32>
  %concat = model.concat %x, %y {axis = 2 : i64} : (tensor<?x4x6xf32>, tensor<?x4x2xf32>) -> tensor<?x4x8xf32>
// CHECK-NEXT: [[PICK:%[a-z0-9_]+]] = model.slice %x ["0"] : tensor<?x4x6xf32> -> tensor<4x6xf32>
  %pick = model.slice %x ["0"] : tensor<?x4x6xf32> -> tensor<4x6xf32>
// CHECK-NEXT: [[COLS:%[a-z0-9_]+]] = model.slice %m [":", "-1", "1:3"] : tensor<2x3x4xf32> -> tensor<2x2xf32>
  %cols = model.slice %m [":", "-1", "1:3"] : tensor<2x3x4xf32> -> tensor<2x2xf32>
// CHECK-NEXT: [[STRIDE:%[a-z0-9_]+]] = model.slice %m ["::2", "-2:"] : tensor<2x3x4xf32> -> tensor<1x2x4xf32>
  %stride = model.slice %m ["::2", "-2:"] : tensor<2x3x4xf32> -> tensor<1x2x4xf32>
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Tensors made from their result type, seeded or not.
// CHECK-LABEL: func.func @creation(%ids: tensor<?xi64>) {
func.func @creation(%ids: tensor<?xi64>) {
// CHECK-NEXT: [[ZEROS:%[a-z0-9_]+]] = model.zeros : tensor<2x3xf32>
  %zeros = model.zeros : tensor<2x3xf32>
// CHECK-NEXT: [[ONES:%[a-z0-9_]+]] = model.ones : tensor<4xf32>
  %ones = model.ones : tensor<4xf32>
// CHECK-NEXT: [[FULL:%[a-z0-9_]+]] = model.full {value = 2.500000e+00 : f64} : tensor<2x2xf32>
  %full = model.full {value = 2.500000e+00 : f64} : tensor<2x2xf32>
// CHECK-NEXT: [[FULL_INT:%[a-z0-9_]+]] = model.full {value = 7.000000e+00 : f64} : tensor<3xi64>
  %full_int = model.full {value = 7.000000e+00 : f64} : tensor<3xi64>
// CHECK-NEXT: [[ARANGE:%[a-z0-9_]+]] = model.arange : tensor<5xi64>
  %arange = model.arange : tensor<5xi64>
// CHECK-NEXT: [[RANDN:%[a-z0-9_]+]] = model.randn : tensor<2x3xf32>
  %randn = model.randn : tensor<2x3xf32>
// CHECK-NEXT: [[RANDN_SEEDED:%[a-z0-9_]+]] = model.randn {seed = 42 : i64} : tensor<2x3xf32>
  %randn_seeded = model.randn {seed = 42 : i64} : tensor<2x3xf32>
// CHECK-NEXT: [[RAND:%[a-z0-9_]+]] = model.rand {seed = 0 : i64} : tensor<8xf32>
  %rand = model.rand {seed = 0 : i64} : tensor<8xf32>
// CHECK-NEXT: [[ONE_HOT:%[a-z0-9_]+]] = model.one_hot %ids {n = 10 : i64} : tensor<?xi64> -> tensor<?x10xi64>
  %one_hot = model.one_hot %ids {n = 10 : i64} : tensor<?xi64> -> tensor<?x10xi64>
// CHECK-NEXT: [[SCALAR:%[a-z0-9_]+]] = model.zeros : tensor<f32>
  %scalar = model.zeros : tensor<f32>
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Losses are 0-d f32; shape gives a host list.
// CHECK-LABEL: func.func @losses(%logits: tensor<?x10xf32>, %labels: tensor<?xi64>, %pred: tensor<?x1xf32>, %target: tensor<?x1xf32>) {
func.func @losses(%logits: tensor<?x10xf32>, %labels: tensor<?xi64>, %pred: tensor<?x1xf32>, %target: tensor<?x1xf32>) {
// CHECK-NEXT: [[CE:%[a-z0-9_]+]] = model.cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<?xi64>) -> tensor<f32>
  %ce = model.cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<?xi64>) -> tensor<f32>
// CHECK-NEXT: [[MSE:%[a-z0-9_]+]] = model.mse %pred, %target : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  %mse = model.mse %pred, %target : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
// CHECK-NEXT: [[SHAPE:%[a-z0-9_]+]] = model.shape %logits : tensor<?x10xf32> -> !model.list<i64>
  %shape = model.shape %logits : tensor<?x10xf32> -> !model.list<i64>
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Host values: strings, lists (also empty), tuples, indexing, row slices with each bound
// optional, ranges, to_float, string equality.
// CHECK-LABEL: func.func @values(%t: tensor<?x4xf32>, %d: !model.dataset) {
func.func @values(%t: tensor<?x4xf32>, %d: !model.dataset) {
// CHECK-NEXT: [[S:%[a-z0-9_]+]] = model.str "hello\0A"
  %s = model.str "hello\0A"
// CHECK-NEXT: [[ONE:%[a-z0-9_]+]] = arith.constant 1 : i64
  %one = arith.constant 1 : i64
// CHECK-NEXT: [[TWO:%[a-z0-9_]+]] = arith.constant 2 : i64
  %two = arith.constant 2 : i64
// CHECK-NEXT: [[HALF:%[a-z0-9_]+]] = arith.constant 5.000000e-01 : f64
  %half = arith.constant 5.000000e-01 : f64
// CHECK-NEXT: [[LIST:%[a-z0-9_]+]] = model.list [[ONE]], [[TWO]] : (i64, i64) -> !model.list<i64>
  %list = model.list %one, %two : (i64, i64) -> !model.list<i64>
// CHECK-NEXT: [[EMPTY:%[a-z0-9_]+]] = model.list : () -> !model.list<!model.str>
  %empty = model.list : () -> !model.list<!model.str>
// CHECK-NEXT: [[TUPLE:%[a-z0-9_]+]] = model.tuple [[ONE]], [[HALF]], [[S]] : (i64, f64, !model.str) -> tuple<i64, f64, !model.str>
  %tuple = model.tuple %one, %half, %s : (i64, f64, !model.str) -> tuple<i64, f64, !model.str>
// CHECK-NEXT: [[ELEM:%[a-z0-9_]+]] = model.index [[LIST]][[[ONE]]] : (!model.list<i64>, i64) -> i64
  %elem = model.index %list[%one] : (!model.list<i64>, i64) -> i64
// CHECK-NEXT: [[FIELD:%[a-z0-9_]+]] = model.index [[TUPLE]][[[TWO]]] : (tuple<i64, f64, !model.str>, i64) -> !model.str
  %field = model.index %tuple[%two] : (tuple<i64, f64, !model.str>, i64) -> !model.str
// CHECK-NEXT: [[ROW:%[a-z0-9_]+]] = model.index %t[[[ONE]]] : (tensor<?x4xf32>, i64) -> tensor<4xf32>
  %row = model.index %t[%one] : (tensor<?x4xf32>, i64) -> tensor<4xf32>
// CHECK-NEXT: [[ROWS:%[a-z0-9_]+]] = model.slice_rows %t lo([[ONE]] : i64) hi([[TWO]] : i64) : tensor<?x4xf32> -> tensor<?x4xf32>
  %rows = model.slice_rows %t lo(%one : i64) hi(%two : i64) : tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: [[HEAD:%[a-z0-9_]+]] = model.slice_rows %d hi([[TWO]] : i64) : !model.dataset -> !model.dataset
  %head = model.slice_rows %d hi(%two : i64) : !model.dataset -> !model.dataset
// CHECK-NEXT: [[TAIL:%[a-z0-9_]+]] = model.slice_rows [[LIST]] lo([[ONE]] : i64) : !model.list<i64> -> !model.list<i64>
  %tail = model.slice_rows %list lo(%one : i64) : !model.list<i64> -> !model.list<i64>
// CHECK-NEXT: [[ALL:%[a-z0-9_]+]] = model.slice_rows %d : !model.dataset -> !model.dataset
  %all = model.slice_rows %d : !model.dataset -> !model.dataset
// CHECK-NEXT: [[RANGE:%[a-z0-9_]+]] = model.range [[ONE]], [[TWO]] : !model.list<i64>
  %range = model.range %one, %two : !model.list<i64>
// CHECK-NEXT: [[F:%[a-z0-9_]+]] = model.to_float [[ONE]] : i64
  %f = model.to_float %one : i64
// CHECK-NEXT: [[FB:%[a-z0-9_]+]] = model.to_float [[HALF]] : f64
  %fb = model.to_float %half : f64
// CHECK-NEXT: [[SAME:%[a-z0-9_]+]] = model.str_eq [[S]], [[FIELD]]
  %same = model.str_eq %s, %field
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Host control flow with variable slots.
// CHECK-LABEL: func.func @control(%n: i64, %c: i1) {
func.func @control(%n: i64, %c: i1) {
// CHECK-NEXT: [[ZERO:%[a-z0-9_]+]] = arith.constant 0 : i64
  %zero = arith.constant 0 : i64
// CHECK-NEXT: model.set_var "total", [[ZERO]] : i64
  model.set_var "total", %zero : i64
// CHECK-NEXT: [[RANGE:%[a-z0-9_]+]] = model.range [[ZERO]], %n : !model.list<i64>
  %range = model.range %zero, %n : !model.list<i64>
// CHECK-NEXT: model.for [[RANGE]] : !model.list<i64> {
  model.for %range : !model.list<i64> {
// CHECK-NEXT: ^bb0(%i: i64):
  ^bb0(%i: i64):
// CHECK-NEXT: [[TOTAL:%[a-z0-9_]+]] = model.get_var "total" : i64
    %total = model.get_var "total" : i64
// CHECK-NEXT: [[NEXT:%[a-z0-9_]+]] = model.add [[TOTAL]], %i : (i64, i64) -> i64
    %next = model.add %total, %i : (i64, i64) -> i64
// CHECK-NEXT: model.set_var "total", [[NEXT]] : i64
    model.set_var "total", %next : i64
// CHECK-NEXT: model.yield
    model.yield
// CHECK-NEXT: }
  }
// CHECK-NEXT: model.if %c {
  model.if %c {
// CHECK-NEXT: [[YES:%[a-z0-9_]+]] = model.str "yes"
    %yes = model.str "yes"
// CHECK-NEXT: model.print [[YES]] : !model.str
    model.print %yes : !model.str
// CHECK-NEXT: model.yield
    model.yield
// CHECK-NEXT: } else {
  } else {
// CHECK-NEXT: model.yield
    model.yield
// CHECK-NEXT: }
  }
// CHECK-NEXT: [[FINAL:%[a-z0-9_]+]] = model.get_var "total" : i64
  %final = model.get_var "total" : i64
// CHECK-NEXT: model.print [[FINAL]] : i64
  model.print %final : i64
// CHECK-NEXT: model.print
  model.print
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Every host call; fit and quantize with all keyword operands, with some and with none.
// CHECK-LABEL: func.func @host_calls(%x: tensor<?x64xf32>) {
func.func @host_calls(%x: tensor<?x64xf32>) {
// CHECK-NEXT: [[SEED:%[a-z0-9_]+]] = arith.constant 0 : i64
  %seed = arith.constant 0 : i64
// CHECK-NEXT: model.seed [[SEED]] : i64
  model.seed %seed : i64
// CHECK-NEXT: [[NAME:%[a-z0-9_]+]] = model.str "digits"
  %name = model.str "digits"
// CHECK-NEXT: [[DATA:%[a-z0-9_]+]] = model.dataset [[NAME]] : !model.str -> !model.dataset
  %data = model.dataset %name : !model.str -> !model.dataset
// CHECK-NEXT: [[PATH:%[a-z0-9_]+]] = model.str "data.csv"
  %path = model.str "data.csv"
// CHECK-NEXT: [[LOADED:%[a-z0-9_]+]] = model.load [[PATH]] : !model.str -> !model.dataset
  %loaded = model.load %path : !model.str -> !model.dataset
// CHECK-NEXT: [[TARGET:%[a-z0-9_]+]] = model.str "label"
  %target = model.str "label"
// CHECK-NEXT: [[LOADED_TARGET:%[a-z0-9_]+]] = model.load [[PATH]] target([[TARGET]] : !model.str) : !model.str -> !model.dataset
  %loaded_target = model.load %path target(%target : !model.str) : !model.str -> !model.dataset
// CHECK-NEXT: [[FRACTION:%[a-z0-9_]+]] = arith.constant 8.000000e-01 : f64
  %fraction = arith.constant 8.000000e-01 : f64
// CHECK-NEXT: [[PARTS:%[a-z0-9_]+]] = model.split [[DATA]], [[FRACTION]] : !model.dataset, f64 -> tuple<!model.dataset, !model.dataset>
  %parts = model.split %data, %fraction : !model.dataset, f64 -> tuple<!model.dataset, !model.dataset>
// CHECK-NEXT: [[PARTS_SEEDED:%[a-z0-9_]+]] = model.split [[DATA]], [[FRACTION]] seed([[SEED]] : i64) : !model.dataset, f64 -> tuple<!model.dataset, !model.dataset>
  %parts_seeded = model.split %data, %fraction seed(%seed : i64) : !model.dataset, f64 -> tuple<!model.dataset, !model.dataset>
// CHECK-NEXT: [[FEATURES:%[a-z0-9_]+]] = model.data_x [[DATA]] : !model.dataset -> tensor<?x?xf32>
  %features = model.data_x %data : !model.dataset -> tensor<?x?xf32>
// CHECK-NEXT: [[LABELS:%[a-z0-9_]+]] = model.data_y [[DATA]] : !model.dataset -> tensor<?xf32>
  %labels = model.data_y %data : !model.dataset -> tensor<?xf32>
// CHECK-NEXT: [[ROWS:%[a-z0-9_]+]] = model.len [[DATA]] : !model.dataset -> i64
  %rows = model.len %data : !model.dataset -> i64
// CHECK-NEXT: [[NET:%[a-z0-9_]+]] = model.instantiate @Classifier_64_128_10 : !model.model<"Classifier_64_128_10">
  %net = model.instantiate @Classifier_64_128_10 : !model.model<"Classifier_64_128_10">
// CHECK-NEXT: [[OUT:%[a-z0-9_]+]] = model.call [[NET]] @forward(%x) : !model.model<"Classifier_64_128_10">, (tensor<?x64xf32>) -> tensor<?x128xf32>
  %out = model.call %net @forward(%x) : !model.model<"Classifier_64_128_10">, (tensor<?x64xf32>) -> tensor<?x128xf32>
// CHECK-NEXT: [[FIRST:%[a-z0-9_]+]], [[SECOND:%[a-z0-9_]+]] = model.call [[NET]] @twice(%x) : !model.model<"Classifier_64_128_10">, (tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>)
  %first, %second = model.call %net @twice(%x) : !model.model<"Classifier_64_128_10">, (tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>)
// CHECK-NEXT: [[LAST:%[a-z0-9_]+]] = model.fit [[NET]], [[DATA]] : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
  %last = model.fit %net, %data : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
// CHECK-NEXT: [[LOSS:%[a-z0-9_]+]] = model.str "mse"
  %loss = model.str "mse"
// CHECK-NEXT: [[OPT:%[a-z0-9_]+]] = model.str "adamw"
  %opt = model.str "adamw"
// CHECK-NEXT: [[LR:%[a-z0-9_]+]] = arith.constant 1.000000e-03 : f64
  %lr = arith.constant 1.000000e-03 : f64
// CHECK-NEXT: [[EPOCHS:%[a-z0-9_]+]] = arith.constant 20 : i64
  %epochs = arith.constant 20 : i64
// CHECK-NEXT: [[BATCH:%[a-z0-9_]+]] = arith.constant 32 : i64
  %batch = arith.constant 32 : i64
// CHECK-NEXT: [[BODY:%[a-z0-9_]+]] = model.str "fc1"
  %body = model.str "fc1"
// CHECK-NEXT: [[FREEZE:%[a-z0-9_]+]] = model.list [[BODY]] : (!model.str) -> !model.list<!model.str>
  %freeze = model.list %body : (!model.str) -> !model.list<!model.str>
// CHECK-NEXT: [[WD:%[a-z0-9_]+]] = arith.constant 1.000000e-02 : f64
  %wd = arith.constant 1.000000e-02 : f64
// CHECK-NEXT: [[LAST_ALL:%[a-z0-9_]+]] = model.fit [[NET]], [[DATA]] loss([[LOSS]] : !model.str) optimizer([[OPT]] : !model.str) lr([[LR]] : f64) epochs([[EPOCHS]] : i64) batch([[BATCH]] : i64) freeze([[FREEZE]] : !model.list<!model.str>) weight_decay([[WD]] : f64) : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
  %last_all = model.fit %net, %data loss(%loss : !model.str) optimizer(%opt : !model.str) lr(%lr : f64) epochs(%epochs : i64) batch(%batch : i64) freeze(%freeze : !model.list<!model.str>) weight_decay(%wd : f64) : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
// CHECK-NEXT: [[LAST_SOME:%[a-z0-9_]+]] = model.fit [[NET]], [[DATA]] epochs([[EPOCHS]] : i64) weight_decay([[WD]] : f64) : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
  %last_some = model.fit %net, %data epochs(%epochs : i64) weight_decay(%wd : f64) : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
// CHECK-NEXT: [[SCHED:%[a-z0-9_]+]] = model.str "linear"
  %sched = model.str "linear"
// CHECK-NEXT: [[CKPT:%[a-z0-9_]+]] = model.str "ckpt"
  %ckpt = model.str "ckpt"
// CHECK-NEXT: [[RESUME:%[a-z0-9_]+]] = arith.constant true
  %resume = arith.constant true
// CHECK-NEXT: [[LAST_NEW:%[a-z0-9_]+]] = model.fit [[NET]], [[DATA]] val([[DATA]] : !model.dataset) patience([[BATCH]] : i64) schedule([[SCHED]] : !model.str) warmup([[EPOCHS]] : i64) clip([[LR]] : f64) accumulate([[BATCH]] : i64) log([[CKPT]] : !model.str) checkpoint([[CKPT]] : !model.str) checkpoint_every([[EPOCHS]] : i64) resume([[RESUME]] : i1) : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
  %last_new = model.fit %net, %data val(%data : !model.dataset) patience(%batch : i64) schedule(%sched : !model.str) warmup(%epochs : i64) clip(%lr : f64) accumulate(%batch : i64) log(%ckpt : !model.str) checkpoint(%ckpt : !model.str) checkpoint_every(%epochs : i64) resume(%resume : i1) : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
// CHECK-NEXT: model.plot [[CKPT]], [[SCHED]] : !model.str, !model.str
  model.plot %ckpt, %sched : !model.str, !model.str
// CHECK-NEXT: [[ACC:%[a-z0-9_]+]] = model.evaluate [[NET]], [[DATA]] : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
  %acc = model.evaluate %net, %data : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
// CHECK-NEXT: [[METRIC:%[a-z0-9_]+]] = model.str "f1"
  %metric = model.str "f1"
// CHECK-NEXT: [[F1:%[a-z0-9_]+]] = model.evaluate [[NET]], [[DATA]] metric([[METRIC]] : !model.str) : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
  %f1 = model.evaluate %net, %data metric(%metric : !model.str) : !model.model<"Classifier_64_128_10">, !model.dataset -> f64
// CHECK-NEXT: [[PRED:%[a-z0-9_]+]] = model.predict [[NET]], %x : !model.model<"Classifier_64_128_10">, tensor<?x64xf32> -> tensor<?x128xf32>
  %pred = model.predict %net, %x : !model.model<"Classifier_64_128_10">, tensor<?x64xf32> -> tensor<?x128xf32>
// CHECK-NEXT: [[PRED_DATA:%[a-z0-9_]+]] = model.predict [[NET]], [[DATA]] : !model.model<"Classifier_64_128_10">, !model.dataset -> tensor<?x128xf32>
  %pred_data = model.predict %net, %data : !model.model<"Classifier_64_128_10">, !model.dataset -> tensor<?x128xf32>
// CHECK-NEXT: [[INT8:%[a-z0-9_]+]] = model.str "int8"
  %int8 = model.str "int8"
// CHECK-NEXT: [[Q:%[a-z0-9_]+]] = model.quantize [[NET]], [[INT8]] : !model.model<"Classifier_64_128_10">, !model.str -> !model.model<"Classifier_64_128_10">
  %q = model.quantize %net, %int8 : !model.model<"Classifier_64_128_10">, !model.str -> !model.model<"Classifier_64_128_10">
// CHECK-NEXT: [[STATIC:%[a-z0-9_]+]] = model.str "static"
  %static = model.str "static"
// CHECK-NEXT: [[QS:%[a-z0-9_]+]] = model.quantize [[NET]], [[INT8]] mode([[STATIC]] : !model.str) calibrate([[DATA]] : !model.dataset) : !model.model<"Classifier_64_128_10">, !model.str -> !model.model<"Classifier_64_128_10">
  %qs = model.quantize %net, %int8 mode(%static : !model.str) calibrate(%data : !model.dataset) : !model.model<"Classifier_64_128_10">, !model.str -> !model.model<"Classifier_64_128_10">
// CHECK-NEXT: [[PKG:%[a-z0-9_]+]] = model.str "net.mpk"
  %pkg = model.str "net.mpk"
// CHECK-NEXT: model.save [[Q]], [[PKG]] : !model.model<"Classifier_64_128_10">, !model.str
  model.save %q, %pkg : !model.model<"Classifier_64_128_10">, !model.str
// CHECK-NEXT: [[BACK:%[a-z0-9_]+]] = model.load_model [[PKG]] : !model.str -> !model.model<"?">
  %back = model.load_model %pkg : !model.str -> !model.model<"?">
// CHECK-NEXT: [[OUT_DYN:%[a-z0-9_]+]] = model.call [[BACK]] @forward(%x) : !model.model<"?">, (tensor<?x64xf32>) -> tensor<*xf32>
  %out_dyn = model.call %back @forward(%x) : !model.model<"?">, (tensor<?x64xf32>) -> tensor<*xf32>
// Layout ops take a tensor of unknown rank; their results are as known as the op makes them.
// CHECK-NEXT: [[ROW:%[a-z0-9_]+]] = model.slice [[OUT_DYN]] ["0"] : tensor<*xf32> -> tensor<*xf32>
  %row = model.slice %out_dyn ["0"] : tensor<*xf32> -> tensor<*xf32>
// CHECK-NEXT: [[GRID:%[a-z0-9_]+]] = model.reshape [[ROW]] array<i64: -1, 2> : tensor<*xf32> -> tensor<?x2xf32>
  %grid = model.reshape %row array<i64: -1, 2> : tensor<*xf32> -> tensor<?x2xf32>
// CHECK-NEXT: [[SWAP:%[a-z0-9_]+]] = model.permute [[OUT_DYN]] array<i64: 1, 0> : tensor<*xf32> -> tensor<?x?xf32>
  %swap = model.permute %out_dyn array<i64: 1, 0> : tensor<*xf32> -> tensor<?x?xf32>
// CHECK-NEXT: [[JOINED:%[a-z0-9_]+]] = model.concat [[OUT_DYN]], [[SWAP]] {axis = 0 : i64} : (tensor<*xf32>, tensor<?x?xf32>) -> tensor<*xf32>
  %joined = model.concat %out_dyn, %swap {axis = 0 : i64} : (tensor<*xf32>, tensor<?x?xf32>) -> tensor<*xf32>
// CHECK-NEXT: [[WEIGHTS:%[a-z0-9_]+]] = model.str "net.safetensors"
  %weights = model.str "net.safetensors"
// CHECK-NEXT: model.load_weights [[NET]], [[WEIGHTS]] : !model.model<"Classifier_64_128_10">, !model.str
  model.load_weights %net, %weights : !model.model<"Classifier_64_128_10">, !model.str
// CHECK-NEXT: model.load_pretrained [[NET]], [[WEIGHTS]] base "bert" fresh ["classifier"] other_head : !model.model<"Classifier_64_128_10">, !model.str
  model.load_pretrained %net, %weights base "bert" fresh ["classifier"] other_head : !model.model<"Classifier_64_128_10">, !model.str
// CHECK-NEXT: model.load_pretrained [[NET]], [[WEIGHTS]] : !model.model<"Classifier_64_128_10">, !model.str
  model.load_pretrained %net, %weights : !model.model<"Classifier_64_128_10">, !model.str
// CHECK-NEXT: model.load_pretrained [[NET]], [[WEIGHTS]] base "vit" dtype "bf16" : !model.model<"Classifier_64_128_10">, !model.str
  model.load_pretrained %net, %weights base "vit" dtype "bf16" : !model.model<"Classifier_64_128_10">, !model.str
// CHECK-NEXT: [[COUNT:%[a-z0-9_]+]] = model.params [[NET]] : !model.model<"Classifier_64_128_10"> -> i64
  %count = model.params %net : !model.model<"Classifier_64_128_10"> -> i64
// CHECK-NEXT: [[BIAS:%[a-z0-9_]+]] = model.parameter [[NET]] "blocks.0.fc.bias" : !model.model<"Classifier_64_128_10"> -> tensor<128xf32>
  %bias = model.parameter %net "blocks.0.fc.bias" : !model.model<"Classifier_64_128_10"> -> tensor<128xf32>
// CHECK-NEXT: model.summary [[NET]] : !model.model<"Classifier_64_128_10">
  model.summary %net : !model.model<"Classifier_64_128_10">
// CHECK-NEXT: model.print [[NAME]], [[ACC]], [[COUNT]], [[OUT]] : !model.str, f64, i64, tensor<?x128xf32>
  model.print %name, %acc, %count, %out : !model.str, f64, i64, tensor<?x128xf32>
// CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}

// Unpacking a value whose structure is known at run time only (a loaded model's result),
// and checking such values against the types a function declares.
// CHECK-LABEL: func.func @unpack(%u: tensor<*xf32>) {
func.func @unpack(%u: tensor<*xf32>) {
// CHECK-NEXT: {{%[a-z0-9_]+}}, {{%[a-z0-9_]+}} = model.unpack %u : tensor<*xf32> -> tensor<*xf32>, tensor<*xf32>
  %first, %second = model.unpack %u : tensor<*xf32> -> tensor<*xf32>, tensor<*xf32>
// CHECK-NEXT: {{%[a-z0-9_]+}}, {{%[a-z0-9_]+}} = model.expect_shapes %u, %u dims {{\[}}["N", 3 : i64], ["N", ""]] labels ["argument 'x' of f", "argument 'w' of f"] : (tensor<*xf32>, tensor<*xf32>) -> (tensor<?x3xf32>, tensor<?x?xf32>)
  %x, %w = model.expect_shapes %u, %u dims [["N", 3 : i64], ["N", ""]] labels ["argument 'x' of f", "argument 'w' of f"] : (tensor<*xf32>, tensor<*xf32>) -> (tensor<?x3xf32>, tensor<?x?xf32>)
// CHECK-NEXT: func.return
  func.return
}
