// RUN: mopt %s -t torch | filecheck %s

// Each torchcall op prints as its one PyTorch call (or int8 helper of kernels.py).

func.func @float_calls(%x: tensor<?x4xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>,
                       %g: tensor<4xf32>) -> (tensor<?x8xf32>, tensor<?x4xf32>) {
  %l = torchcall.linear %x, %w, %b : tensor<?x4xf32>, tensor<8x4xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %ln = torchcall.layer_norm %x, %g, %g eps 1.000000e-05 : f32 : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
  %s = torchcall.softmax %l dim 1 : tensor<?x8xf32>
  %ls = torchcall.log_softmax %s dim 1 : tensor<?x8xf32>
  %ge = torchcall.gelu %ls : tensor<?x8xf32>
  %si = torchcall.silu %ge : tensor<?x8xf32>
  %r = torchcall.relu %si : tensor<?x8xf32>
  %m = torchcall.tensor_scalar %r "*" 1.250000e-01 : f32 : tensor<?x8xf32>
  %a = torchcall.scalar_tensor 2.000000e+00 : f32 "-" %m : tensor<?x8xf32>
  %d = torchcall.scalar_tensor 3.000000e+00 : f32 "/" %a : tensor<?x8xf32>
  func.return %d, %ln : tensor<?x8xf32>, tensor<?x4xf32>
}

// CHECK-LABEL: def float_calls(params, x, w, b, g, training=False):
// CHECK-NEXT:    """@float_calls: {{.*}}"""
// CHECK-NEXT:    l = torch.nn.functional.linear(x, w, b)
// CHECK-NEXT:    del w, b
// CHECK-NEXT:    ln = torch.nn.functional.layer_norm(x, (4,), g, g, 1e-05)
// CHECK-NEXT:    del x, g
// CHECK-NEXT:    s = torch.softmax(l, dim=1)
// CHECK-NEXT:    del l
// CHECK-NEXT:    ls = torch.log_softmax(s, dim=1)
// CHECK-NEXT:    del s
// CHECK-NEXT:    ge = torch.nn.functional.gelu(ls)
// CHECK-NEXT:    del ls
// CHECK-NEXT:    si = torch.nn.functional.silu(ge)
// CHECK-NEXT:    del ge
// CHECK-NEXT:    r = torch.relu(si)
// CHECK-NEXT:    del si
// CHECK-NEXT:    m = (r * 0.125)
// CHECK-NEXT:    del r
// CHECK-NEXT:    a = (2.0 - m)
// CHECK-NEXT:    del m
// CHECK-NEXT:    d = torch.div(3.0, a)
// CHECK-NEXT:    del a
// CHECK-NEXT:    return d, ln

func.func @int8_calls(%x: tensor<?x4xf32>, %w: tensor<4x8xi8>, %wt: tensor<8x4xi8>,
                      %ws: tensor<1x8xf32>, %st: tensor<8x1xf32>, %b: tensor<8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x1xf32>) {
  %s = torchcall.int8_row_scale %x dim 1 : tensor<?x4xf32> -> tensor<?x1xf32>
  %xq, %xs = torchcall.int8_quantize_rows %x dim 1 : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
  %y = torchcall.int8_scaled_matmul %xq, %w, %xs, %ws : tensor<?x4xi8>, tensor<4x8xi8>, tensor<?x1xf32>, tensor<1x8xf32> -> tensor<?x8xf32>
  %z = torchcall.int8_linear %xq, %wt, %xs, %st, %b : tensor<?x4xi8>, tensor<8x4xi8>, tensor<?x1xf32>, tensor<8x1xf32>, tensor<8xf32> -> tensor<?x8xf32>
  func.return %y, %z, %s : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x1xf32>
}

// CHECK-LABEL: def int8_calls(params, x, w, wt, ws, st, b, training=False):
// CHECK:         s = int8_row_scale(x, 1)
// CHECK-NEXT:    xq, xs = int8_quantize_rows(x, 1)
// CHECK-NEXT:    del x
// CHECK-NEXT:    y = int8_scaled_matmul(xq, w, xs, ws)
// CHECK-NEXT:    del w, ws
// CHECK-NEXT:    z = int8_linear(xq, wt, xs, st, b)
// CHECK-NEXT:    del xq, wt, xs, st, b
// CHECK-NEXT:    return y, z, s
