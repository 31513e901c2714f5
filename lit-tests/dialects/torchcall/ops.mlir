// RUN: mopt %s | filecheck %s
// RUN: %roundtrip | filecheck %s

// Each torchcall op in its custom format; the second run prints it, generically, and
// parses it back.

func.func @float_calls(%x: tensor<?x4xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>,
                       %g: tensor<4xf32>) -> tensor<?x8xf32> {
  %l = torchcall.linear %x, %w, %b : tensor<?x4xf32>, tensor<8x4xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %n = torchcall.linear %x, %w : tensor<?x4xf32>, tensor<8x4xf32> -> tensor<?x8xf32>
  %ln = torchcall.layer_norm %x, %g, %g eps 1.000000e-05 : f32 : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
  %rn = torchcall.rms_norm %x, %g eps 1.000000e-06 : f32 : tensor<?x4xf32>, tensor<4xf32>
  %s = torchcall.softmax %l dim 1 : tensor<?x8xf32>
  %ls = torchcall.log_softmax %n dim 1 : tensor<?x8xf32>
  %ge = torchcall.gelu %s : tensor<?x8xf32>
  %si = torchcall.silu %ge : tensor<?x8xf32>
  %r = torchcall.relu %si : tensor<?x8xf32>
  %m = torchcall.tensor_scalar %r "*" 1.250000e-01 : f32 : tensor<?x8xf32>
  %d = torchcall.scalar_tensor 3.000000e+00 : f32 "/" %m : tensor<?x8xf32>
  func.return %d : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @float_calls
// CHECK:       torchcall.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<8x4xf32>, tensor<8xf32> -> tensor<?x8xf32>
// CHECK-NEXT:  torchcall.linear %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<8x4xf32> -> tensor<?x8xf32>
// CHECK-NEXT:  torchcall.layer_norm %{{.*}}, %{{.*}}, %{{.*}} eps 1.000000e-05 : f32 : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
// CHECK-NEXT:  torchcall.rms_norm %{{.*}}, %{{.*}} eps 1.000000e-06 : f32 : tensor<?x4xf32>, tensor<4xf32>
// CHECK-NEXT:  torchcall.softmax %{{.*}} dim 1 : tensor<?x8xf32>
// CHECK-NEXT:  torchcall.log_softmax %{{.*}} dim 1 : tensor<?x8xf32>
// CHECK-NEXT:  torchcall.gelu %{{.*}} : tensor<?x8xf32>
// CHECK-NEXT:  torchcall.silu %{{.*}} : tensor<?x8xf32>
// CHECK-NEXT:  torchcall.relu %{{.*}} : tensor<?x8xf32>
// CHECK-NEXT:  torchcall.tensor_scalar %{{.*}} "*" 1.250000e-01 : f32 : tensor<?x8xf32>
// CHECK-NEXT:  torchcall.scalar_tensor 3.000000e+00 : f32 "/" %{{.*}} : tensor<?x8xf32>

func.func @int8_calls(%x: tensor<?x4xf32>, %w: tensor<4x8xi8>, %wt: tensor<8x4xi8>,
                      %ws: tensor<1x8xf32>, %st: tensor<8x1xf32>, %b: tensor<8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x1xf32>) {
  %s = torchcall.int8_row_scale %x dim 1 : tensor<?x4xf32> -> tensor<?x1xf32>
  %xq, %xs = torchcall.int8_quantize_rows %x dim 1 : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
  %y = torchcall.int8_scaled_matmul %xq, %w, %xs, %ws : tensor<?x4xi8>, tensor<4x8xi8>, tensor<?x1xf32>, tensor<1x8xf32> -> tensor<?x8xf32>
  %z = torchcall.int8_linear %xq, %wt, %xs, %st, %b : tensor<?x4xi8>, tensor<8x4xi8>, tensor<?x1xf32>, tensor<8x1xf32>, tensor<8xf32> -> tensor<?x8xf32>
  func.return %y, %z, %s : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x1xf32>
}

// CHECK-LABEL: func.func @int8_calls
// CHECK:       torchcall.int8_row_scale %{{.*}} dim 1 : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:  torchcall.int8_quantize_rows %{{.*}} dim 1 : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
// CHECK-NEXT:  torchcall.int8_scaled_matmul %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xi8>, tensor<4x8xi8>, tensor<?x1xf32>, tensor<1x8xf32> -> tensor<?x8xf32>
// CHECK-NEXT:  torchcall.int8_linear %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xi8>, tensor<8x4xi8>, tensor<?x1xf32>, tensor<8x1xf32>, tensor<8xf32> -> tensor<?x8xf32>
