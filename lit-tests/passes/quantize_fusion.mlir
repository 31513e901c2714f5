// RUN: mopt %s -p 'quantize{mode=weight},fuse-matmul-epilogue' | filecheck %s --check-prefix=WEIGHT
// RUN: mopt %s -p 'quantize{mode=dynamic},canonicalize,cse,kernel-fusion' | filecheck %s --check-prefix=DYNAMIC

// What the kernel fusion makes of quantize's output. Weight-only: the dequantize of the
// int8 weight (its transpose first moved onto the int8 weight and its scale, as host
// views) is the rhs prologue of the kernel.matmul, the bias add its epilogue.

// WEIGHT-LABEL: func.func @forward
// WEIGHT:         kernel.matmul(%wq, %ws, %x, %b) : (tensor<8x4xi8>, tensor<8x1xf32>, tensor<?x5x4xf32>, tensor<8xf32>) -> tensor<?x5x8xf32> {
// WEIGHT-NEXT:    ^bb0([[Q:%.+]]: tensor<8x4xi8>, [[S:%.+]]: tensor<8x1xf32>, [[X:%.+]]: tensor<?x5x4xf32>, [[B:%.+]]: tensor<8xf32>):
// WEIGHT-NEXT:      [[QT:%.+]] = tensorops.transpose [[Q]] [1, 0]
// WEIGHT-NEXT:      [[ST:%.+]] = tensorops.transpose [[S]] [1, 0]
// WEIGHT-NEXT:      [[W:%.+]] = tensorops.dequantize [[QT]], [[ST]] : tensor<4x8xi8>, tensor<1x8xf32> -> tensor<4x8xf32>
// WEIGHT-NEXT:      [[P:%.+]] = tensorops.matmul [[X]], [[W]]
// WEIGHT-NEXT:      [[Y:%.+]] = tensorops.add [[P]], [[B]]
// WEIGHT-NEXT:      kernel.yield [[Y]]

// Dynamic: the row-wise quantization of the activation is one kernel.reduction with two
// results (the row scales and the int8 rows); the int8 product, the two rescalings and
// the bias add are one kernel.matmul.

// DYNAMIC-LABEL: func.func @forward
// DYNAMIC:         [[XS:%.+]], [[XQ:%.+]] = kernel.reduction(%x) : (tensor<?x5x4xf32>) -> (tensor<?x5x1xf32>, tensor<?x5x4xi8>)
// DYNAMIC:           tensorops.quantize
// DYNAMIC-NEXT:      kernel.yield
// DYNAMIC-NEXT:    }
// DYNAMIC-NEXT:    kernel.matmul(%wq, %ws, [[XQ]], [[XS]], %b)
// DYNAMIC:           tensorops.matmul {{.*}} : tensor<?x5x4xi8>, tensor<4x8xi8> -> tensor<?x5x8xi32>
// DYNAMIC-NEXT:      tensorops.cast
// DYNAMIC-NEXT:      tensorops.mul
// DYNAMIC-NEXT:      tensorops.mul
// DYNAMIC-NEXT:      tensorops.add
// DYNAMIC-NEXT:      kernel.yield
// DYNAMIC-NEXT:    }
// DYNAMIC-NEXT:    func.return

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @fc.weight : tensor<8x4xf32> init "uniform"(5.000000e-01 : f64)
  model.param @fc.bias : tensor<8xf32> init "uniform"(5.000000e-01 : f64)
  func.func @forward(%x: tensor<?x5x4xf32>) -> tensor<?x5x8xf32> {
    %w = model.get_param @fc.weight : tensor<8x4xf32>
    %b = model.get_param @fc.bias : tensor<8xf32>
    %wt = tensorops.transpose %w [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
    %xw = tensorops.matmul %x, %wt : tensor<?x5x4xf32>, tensor<4x8xf32> -> tensor<?x5x8xf32>
    %y = tensorops.add %xw, %b : tensor<?x5x8xf32>, tensor<8xf32> -> tensor<?x5x8xf32>
    func.return %y : tensor<?x5x8xf32>
  }
}
