// RUN: mopt %s -p lower-conv-pool,lower-norms | filecheck %s

// The layers of M 0.2 lowered to tensor ops: conv1d as a conv2d of height 1 (groups kept);
// a conv2d padded more at the end ("same", even kernel, odd dilation) padded `pad_end` on
// both sides and its first output sliced off; group norm as the layer norm's arithmetic
// over [N, G, C/G * H * W] and a per-channel scale and shift; batch norm kept whole
// (`tensorops.batch_norm`, which updates the running statistics while training); layer
// norm without a bias; adaptive average pooling as a mean (1 x 1), an average pool (sizes
// that divide) or one mean per output cell with PyTorch's bounds, concatenated.

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @c.weight : tensor<6x2x3xf32> init "uniform"(1.900000e-01 : f64)
  model.param @c.bias : tensor<6xf32> init "uniform"(1.900000e-01 : f64)
  model.param @s.weight : tensor<4x2x2x2xf32> init "uniform"(1.900000e-01 : f64)
  model.param @g.weight : tensor<4xf32> init "ones"(1.000000e+00 : f64)
  model.param @g.bias : tensor<4xf32> init "zeros"(0.000000e+00 : f64)
  model.param @bn.running_mean : tensor<4xf32> init "zeros"(0.000000e+00 : f64) {buffer}
  model.param @bn.running_var : tensor<4xf32> init "ones"(1.000000e+00 : f64) {buffer}
  model.param @bn.num_batches_tracked : tensor<i64> init "zeros"(0.000000e+00 : f64) {buffer}
  func.func @forward(%x: tensor<?x4x9xf32>) -> tensor<?x6x5xf32> {
    %w = model.get_param @c.weight : tensor<6x2x3xf32>
    %b = model.get_param @c.bias : tensor<6xf32>
    %y = model.conv1d %x, %w, %b {stride = 2 : i64, padding = 1 : i64, groups = 2 : i64} : (tensor<?x4x9xf32>, tensor<6x2x3xf32>, tensor<6xf32>) -> tensor<?x6x5xf32>
    func.return %y : tensor<?x6x5xf32>
  }
  func.func @same(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
    %w = model.get_param @s.weight : tensor<4x2x2x2xf32>
    %y = model.conv2d %x, %w {stride = 1 : i64, padding = 1 : i64, pad_end = 2 : i64, dilation = 3 : i64, groups = 2 : i64} : (tensor<?x4x8x8xf32>, tensor<4x2x2x2xf32>) -> tensor<?x4x8x8xf32>
    func.return %y : tensor<?x4x8x8xf32>
  }
  func.func @norms(%x: tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
    %w = model.get_param @g.weight : tensor<4xf32>
    %b = model.get_param @g.bias : tensor<4xf32>
    %m = model.get_param @bn.running_mean : tensor<4xf32>
    %v = model.get_param @bn.running_var : tensor<4xf32>
    %n = model.get_param @bn.num_batches_tracked : tensor<i64>
    %g = model.group_norm %x, %w, %b {groups = 2 : i64, eps = 1.000000e-05 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
    %bn = model.batch_norm %x, %w, %b, %m, %v, %n {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i64>) -> tensor<?x4x8x8xf32>
    func.return %g, %bn : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
  }
  func.func @layer_norm_without_bias(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = model.get_param @g.weight : tensor<4xf32>
    %y = model.layer_norm %x, %w {eps = 1.000000e-05 : f64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @pools(%x: tensor<?x3x7x6xf32>) -> (tensor<?x3x1x1xf32>, tensor<?x3x7x3xf32>, tensor<?x3x2x4xf32>) {
    %one = model.adaptive_avg_pool2d %x {size = array<i64: 1, 1>} : tensor<?x3x7x6xf32> -> tensor<?x3x1x1xf32>
    %div = model.adaptive_avg_pool2d %x {size = array<i64: 7, 3>} : tensor<?x3x7x6xf32> -> tensor<?x3x7x3xf32>
    %uneven = model.adaptive_avg_pool2d %x {size = array<i64: 2, 4>} : tensor<?x3x7x6xf32> -> tensor<?x3x2x4xf32>
    func.return %one, %div, %uneven : tensor<?x3x1x1xf32>, tensor<?x3x7x3xf32>, tensor<?x3x2x4xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    %w = model.get_param @c.weight : tensor<6x2x3xf32>
// CHECK-NEXT:    %b = model.get_param @c.bias : tensor<6xf32>
// CHECK-NEXT:    %0 = tensorops.reshape_tail %x from 2 : tensor<?x4x9xf32> -> tensor<?x4x1x9xf32>
// CHECK-NEXT:    %1 = tensorops.reshape_tail %w from 2 : tensor<6x2x3xf32> -> tensor<6x2x1x3xf32>
// CHECK-NEXT:    %2 = tensorops.conv2d %0, %1 stride [1, 2] padding [0, 1] groups 2 : tensor<?x4x1x9xf32>, tensor<6x2x1x3xf32> -> tensor<?x6x1x5xf32>
// CHECK-NEXT:    %3 = tensorops.reshape_tail %2 from 2 : tensor<?x6x1x5xf32> -> tensor<?x6x5xf32>
// CHECK-NEXT:    %4 = tensorops.reshape %b : tensor<6xf32> -> tensor<6x1xf32>
// CHECK-NEXT:    %y = tensorops.add %3, %4 : tensor<?x6x5xf32>, tensor<6x1xf32> -> tensor<?x6x5xf32>
// CHECK-NEXT:    func.return %y : tensor<?x6x5xf32>
// CHECK-LABEL: func.func @same(
// CHECK-NEXT:    %w = model.get_param @s.weight : tensor<4x2x2x2xf32>
// CHECK-NEXT:    %0 = tensorops.conv2d %x, %w stride [1, 1] padding [2, 2] dilation [3, 3] groups 2 : tensor<?x4x8x8xf32>, tensor<4x2x2x2xf32> -> tensor<?x4x9x9xf32>
// CHECK-NEXT:    %y = tensorops.slice %0[:, :, 1:, 1:] : tensor<?x4x9x9xf32> -> tensor<?x4x8x8xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4x8x8xf32>
// CHECK-LABEL: func.func @norms(
// CHECK-NEXT:    %w = model.get_param @g.weight : tensor<4xf32>
// CHECK-NEXT:    %b = model.get_param @g.bias : tensor<4xf32>
// CHECK-NEXT:    %m = model.get_param @bn.running_mean : tensor<4xf32>
// CHECK-NEXT:    %v = model.get_param @bn.running_var : tensor<4xf32>
// CHECK-NEXT:    %n = model.get_param @bn.num_batches_tracked : tensor<i64>
// CHECK-NEXT:    %0 = tensorops.reshape_tail %x from 1 : tensor<?x4x8x8xf32> -> tensor<?x2x128xf32>
// CHECK-NEXT:    %1 = tensorops.reduce_mean %0 axes [2] keepdim : tensor<?x2x128xf32> -> tensor<?x2x1xf32>
// CHECK-NEXT:    %2 = tensorops.sub %0, %1 : tensor<?x2x128xf32>, tensor<?x2x1xf32> -> tensor<?x2x128xf32>
// CHECK-NEXT:    %3 = tensorops.mul %2, %2 : tensor<?x2x128xf32>, tensor<?x2x128xf32> -> tensor<?x2x128xf32>
// CHECK-NEXT:    %4 = tensorops.reduce_mean %3 axes [2] keepdim : tensor<?x2x128xf32> -> tensor<?x2x1xf32>
// CHECK-NEXT:    %5 = tensorops.constant dense<1.000000e-05> : tensor<f32>
// CHECK-NEXT:    %6 = tensorops.add %4, %5 : tensor<?x2x1xf32>, tensor<f32> -> tensor<?x2x1xf32>
// CHECK-NEXT:    %7 = tensorops.rsqrt %6 : tensor<?x2x1xf32>
// CHECK-NEXT:    %8 = tensorops.mul %2, %7 : tensor<?x2x128xf32>, tensor<?x2x1xf32> -> tensor<?x2x128xf32>
// CHECK-NEXT:    %9 = tensorops.reshape_tail %8 from 1 : tensor<?x2x128xf32> -> tensor<?x4x8x8xf32>
// CHECK-NEXT:    %10 = tensorops.reshape %w : tensor<4xf32> -> tensor<4x1x1xf32>
// CHECK-NEXT:    %11 = tensorops.mul %9, %10 : tensor<?x4x8x8xf32>, tensor<4x1x1xf32> -> tensor<?x4x8x8xf32>
// CHECK-NEXT:    %12 = tensorops.reshape %b : tensor<4xf32> -> tensor<4x1x1xf32>
// CHECK-NEXT:    %g = tensorops.add %11, %12 : tensor<?x4x8x8xf32>, tensor<4x1x1xf32> -> tensor<?x4x8x8xf32>
// CHECK-NEXT:    %bn = tensorops.batch_norm %x, %w, %b, %m, %v, %n eps 1.000000e-05 momentum 1.000000e-01 : tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i64>
// CHECK-NEXT:    func.return %g, %bn : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
// CHECK-LABEL: func.func @layer_norm_without_bias(
// CHECK-NEXT:    %w = model.get_param @g.weight : tensor<4xf32>
// CHECK-NEXT:    %0 = tensorops.reduce_mean %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    %1 = tensorops.sub %x, %0 : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    %2 = tensorops.mul %1, %1 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    %3 = tensorops.reduce_mean %2 axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    %4 = tensorops.constant dense<1.000000e-05> : tensor<f32>
// CHECK-NEXT:    %5 = tensorops.add %3, %4 : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
// CHECK-NEXT:    %6 = tensorops.rsqrt %5 : tensor<?x1xf32>
// CHECK-NEXT:    %7 = tensorops.mul %1, %6 : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    %y = tensorops.mul %7, %w : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>
// CHECK-LABEL: func.func @pools(
// CHECK-NEXT:    %one = tensorops.reduce_mean %x axes [2, 3] keepdim : tensor<?x3x7x6xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %div = tensorops.avg_pool2d %x kernel [1, 2] stride [1, 2] padding [0, 0] : tensor<?x3x7x6xf32> -> tensor<?x3x7x3xf32>
// CHECK-NEXT:    %0 = tensorops.slice %x[:, :, :4, :2] : tensor<?x3x7x6xf32> -> tensor<?x3x4x2xf32>
// CHECK-NEXT:    %1 = tensorops.reduce_mean %0 axes [2, 3] keepdim : tensor<?x3x4x2xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %2 = tensorops.slice %x[:, :, :4, 1:3] : tensor<?x3x7x6xf32> -> tensor<?x3x4x2xf32>
// CHECK-NEXT:    %3 = tensorops.reduce_mean %2 axes [2, 3] keepdim : tensor<?x3x4x2xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %4 = tensorops.slice %x[:, :, :4, 3:5] : tensor<?x3x7x6xf32> -> tensor<?x3x4x2xf32>
// CHECK-NEXT:    %5 = tensorops.reduce_mean %4 axes [2, 3] keepdim : tensor<?x3x4x2xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %6 = tensorops.slice %x[:, :, :4, 4:6] : tensor<?x3x7x6xf32> -> tensor<?x3x4x2xf32>
// CHECK-NEXT:    %7 = tensorops.reduce_mean %6 axes [2, 3] keepdim : tensor<?x3x4x2xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %8 = tensorops.concat %1, %3, %5, %7 axis 3 : tensor<?x3x1x1xf32>, tensor<?x3x1x1xf32>, tensor<?x3x1x1xf32>, tensor<?x3x1x1xf32> -> tensor<?x3x1x4xf32>
// CHECK-NEXT:    %9 = tensorops.slice %x[:, :, 3:7, :2] : tensor<?x3x7x6xf32> -> tensor<?x3x4x2xf32>
// CHECK-NEXT:    %10 = tensorops.reduce_mean %9 axes [2, 3] keepdim : tensor<?x3x4x2xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %11 = tensorops.slice %x[:, :, 3:7, 1:3] : tensor<?x3x7x6xf32> -> tensor<?x3x4x2xf32>
// CHECK-NEXT:    %12 = tensorops.reduce_mean %11 axes [2, 3] keepdim : tensor<?x3x4x2xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %13 = tensorops.slice %x[:, :, 3:7, 3:5] : tensor<?x3x7x6xf32> -> tensor<?x3x4x2xf32>
// CHECK-NEXT:    %14 = tensorops.reduce_mean %13 axes [2, 3] keepdim : tensor<?x3x4x2xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %15 = tensorops.slice %x[:, :, 3:7, 4:6] : tensor<?x3x7x6xf32> -> tensor<?x3x4x2xf32>
// CHECK-NEXT:    %16 = tensorops.reduce_mean %15 axes [2, 3] keepdim : tensor<?x3x4x2xf32> -> tensor<?x3x1x1xf32>
// CHECK-NEXT:    %17 = tensorops.concat %10, %12, %14, %16 axis 3 : tensor<?x3x1x1xf32>, tensor<?x3x1x1xf32>, tensor<?x3x1x1xf32>, tensor<?x3x1x1xf32> -> tensor<?x3x1x4xf32>
// CHECK-NEXT:    %uneven = tensorops.concat %8, %17 axis 2 : tensor<?x3x1x4xf32>, tensor<?x3x1x4xf32> -> tensor<?x3x2x4xf32>
// CHECK-NEXT:    func.return %one, %div, %uneven : tensor<?x3x1x1xf32>, tensor<?x3x7x3xf32>, tensor<?x3x2x4xf32>
