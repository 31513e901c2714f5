// RUN: mopt %s -p lower-norms | filecheck %s

// layer_norm: mean, centre, mean of squares, rsqrt(var + eps), scale, shift.
// rms_norm: mean of squares, rsqrt(ms + eps), scale.

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @ln.weight : tensor<8xf32> init "ones"(1.000000e+00 : f64)
  model.param @ln.bias : tensor<8xf32> init "zeros"(0.000000e+00 : f64)
  model.param @rms.weight : tensor<8xf32> init "ones"(1.000000e+00 : f64)
  func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
    %w = model.get_param @ln.weight : tensor<8xf32>
    %b = model.get_param @ln.bias : tensor<8xf32>
    %y = model.layer_norm %x, %w, %b {eps = 1.000000e-05 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    func.return %y : tensor<?x?x8xf32>
  }
  func.func @rms(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    %w = model.get_param @rms.weight : tensor<8xf32>
    %y = model.rms_norm %x, %w {eps = 1.000000e-06 : f64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    func.return %y : tensor<2x8xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    %w = model.get_param @ln.weight : tensor<8xf32>
// CHECK-NEXT:    %b = model.get_param @ln.bias : tensor<8xf32>
// CHECK-NEXT:    [[MEAN:%.*]] = tensorops.reduce_mean %x axes [2] keepdim : tensor<?x?x8xf32> -> tensor<?x?x1xf32>
// CHECK-NEXT:    [[CENTRED:%.*]] = tensorops.sub %x, [[MEAN]] : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[SQUARES:%.*]] = tensorops.mul [[CENTRED]], [[CENTRED]] : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[VAR:%.*]] = tensorops.reduce_mean [[SQUARES]] axes [2] keepdim : tensor<?x?x8xf32> -> tensor<?x?x1xf32>
// CHECK-NEXT:    [[EPS:%.*]] = tensorops.constant dense<1.000000e-05> : tensor<f32>
// CHECK-NEXT:    [[VAR_EPS:%.*]] = tensorops.add [[VAR]], [[EPS]] : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
// CHECK-NEXT:    [[INV_STD:%.*]] = tensorops.rsqrt [[VAR_EPS]] : tensor<?x?x1xf32>
// CHECK-NEXT:    [[NORMED:%.*]] = tensorops.mul [[CENTRED]], [[INV_STD]] : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[SCALED:%.*]] = tensorops.mul [[NORMED]], %w : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    %y = tensorops.add [[SCALED]], %b : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    func.return %y : tensor<?x?x8xf32>

// CHECK-LABEL: func.func @rms(
// CHECK-NEXT:    %w = model.get_param @rms.weight : tensor<8xf32>
// CHECK-NEXT:    [[SQUARES:%.*]] = tensorops.mul %x, %x : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
// CHECK-NEXT:    [[MEAN_SQUARE:%.*]] = tensorops.reduce_mean [[SQUARES]] axes [1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
// CHECK-NEXT:    [[EPS:%.*]] = tensorops.constant dense<1.000000e-06> : tensor<f32>
// CHECK-NEXT:    [[MS_EPS:%.*]] = tensorops.add [[MEAN_SQUARE]], [[EPS]] : tensor<2x1xf32>, tensor<f32> -> tensor<2x1xf32>
// CHECK-NEXT:    [[INV_RMS:%.*]] = tensorops.rsqrt [[MS_EPS]] : tensor<2x1xf32>
// CHECK-NEXT:    [[NORMED:%.*]] = tensorops.mul %x, [[INV_RMS]] : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
// CHECK-NEXT:    %y = tensorops.mul [[NORMED]], %w : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
// CHECK-NEXT:    func.return %y : tensor<2x8xf32>
