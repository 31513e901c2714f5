// RUN: mopt %s -p fuse-matmul-epilogue --split-input-file | filecheck %s

// A linear layer (weight transpose, product, bias), gelu and a residual add: one kernel,
// the weight transpose a host-side view.

// CHECK-LABEL: func.func @linear_gelu_residual
// CHECK-NEXT:    [[Y:%[a-z_0-9]+]] = kernel.matmul(%w, %x, %b, %r) : (tensor<20x12xf32>, tensor<?x7x12xf32>, tensor<20xf32>, tensor<?x7x20xf32>) -> tensor<?x7x20xf32> {
// CHECK-NEXT:    ^bb0([[W:%[a-z_0-9]+]]: tensor<20x12xf32>, [[X:%[a-z_0-9]+]]: tensor<?x7x12xf32>, [[B:%[a-z_0-9]+]]: tensor<20xf32>, [[R:%[a-z_0-9]+]]: tensor<?x7x20xf32>):
// CHECK-NEXT:      [[WT:%[a-z_0-9]+]] = tensorops.transpose [[W]] [1, 0]
// CHECK-NEXT:      [[M:%[a-z_0-9]+]] = tensorops.matmul [[X]], [[WT]]
// CHECK-NEXT:      [[A:%[a-z_0-9]+]] = tensorops.add [[M]], [[B]]
// CHECK:           tensorops.erf
// CHECK:           tensorops.mul
// CHECK-NEXT:      [[G:%[a-z_0-9]+]] = tensorops.mul
// CHECK-NEXT:      [[OUT:%[a-z_0-9]+]] = tensorops.add [[R]], [[G]]
// CHECK-NEXT:      kernel.yield [[OUT]] : tensor<?x7x20xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return [[Y]]
func.func @linear_gelu_residual(%x: tensor<?x7x12xf32>, %w: tensor<20x12xf32>, %b: tensor<20xf32>, %r: tensor<?x7x20xf32>) -> tensor<?x7x20xf32> {
  %wt = tensorops.transpose %w [1, 0] : tensor<20x12xf32> -> tensor<12x20xf32>
  %m = tensorops.matmul %x, %wt : tensor<?x7x12xf32>, tensor<12x20xf32> -> tensor<?x7x20xf32>
  %a = tensorops.add %m, %b : tensor<?x7x20xf32>, tensor<20xf32> -> tensor<?x7x20xf32>
  %h = tensorops.constant dense<5.000000e-01> : tensor<f32>
  %c = tensorops.constant dense<0.707106769> : tensor<f32>
  %one = tensorops.constant dense<1.000000e+00> : tensor<f32>
  %t1 = tensorops.mul %a, %c : tensor<?x7x20xf32>, tensor<f32> -> tensor<?x7x20xf32>
  %t2 = tensorops.erf %t1 : tensor<?x7x20xf32>
  %t3 = tensorops.add %t2, %one : tensor<?x7x20xf32>, tensor<f32> -> tensor<?x7x20xf32>
  %t4 = tensorops.mul %a, %h : tensor<?x7x20xf32>, tensor<f32> -> tensor<?x7x20xf32>
  %g = tensorops.mul %t4, %t3 : tensor<?x7x20xf32>, tensor<?x7x20xf32> -> tensor<?x7x20xf32>
  %y = tensorops.add %r, %g : tensor<?x7x20xf32>, tensor<?x7x20xf32> -> tensor<?x7x20xf32>
  func.return %y : tensor<?x7x20xf32>
}

// -----

// Int8 weights: the transpose of the dequantize moves onto its operands, and the
// dequantize runs in the kernel's rhs prologue.

// CHECK-LABEL: func.func @dequantize
// CHECK-NEXT:    kernel.matmul(%q, %s, %x) : (tensor<17x33xi8>, tensor<17x1xf32>, tensor<6x33xf32>) -> tensor<6x17xf32> {
// CHECK-NEXT:    ^bb0([[Q:%[a-z_0-9]+]]: tensor<17x33xi8>, [[S:%[a-z_0-9]+]]: tensor<17x1xf32>, [[X:%[a-z_0-9]+]]: tensor<6x33xf32>):
// CHECK-NEXT:      [[QT:%[a-z_0-9]+]] = tensorops.transpose [[Q]] [1, 0] : tensor<17x33xi8> -> tensor<33x17xi8>
// CHECK-NEXT:      [[ST:%[a-z_0-9]+]] = tensorops.transpose [[S]] [1, 0] : tensor<17x1xf32> -> tensor<1x17xf32>
// CHECK-NEXT:      [[W:%[a-z_0-9]+]] = tensorops.dequantize [[QT]], [[ST]]
// CHECK-NEXT:      tensorops.matmul [[X]], [[W]]
func.func @dequantize(%x: tensor<6x33xf32>, %q: tensor<17x33xi8>, %s: tensor<17x1xf32>) -> tensor<6x17xf32> {
  %w = tensorops.dequantize %q, %s : tensor<17x33xi8>, tensor<17x1xf32> -> tensor<17x33xf32>
  %wt = tensorops.transpose %w [1, 0] : tensor<17x33xf32> -> tensor<33x17xf32>
  %m = tensorops.matmul %x, %wt : tensor<6x33xf32>, tensor<33x17xf32> -> tensor<6x17xf32>
  func.return %m : tensor<6x17xf32>
}

// -----

// The product's result read twice: the epilogue stops where a value escapes, and an
// operand that depends on the product (the row max) is not fused.

// CHECK-LABEL: func.func @escaping
// CHECK:         [[KM:%[a-z_0-9]+]], [[KE:%[a-z_0-9]+]] = kernel.matmul
// CHECK:           [[M:%[a-z_0-9]+]] = tensorops.matmul
// CHECK:           [[E:%[a-z_0-9]+]] = tensorops.exp [[M]]
// CHECK:           kernel.yield [[M]], [[E]]
// CHECK:         [[X:%[a-z_0-9]+]] = tensorops.reduce_max [[KM]]
// CHECK:         tensorops.sub [[KE]], [[X]]
func.func @escaping(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %m = tensorops.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %e = tensorops.exp %m : tensor<4x16xf32>
  %x = tensorops.reduce_max %m axes [1] keepdim : tensor<4x16xf32> -> tensor<4x1xf32>
  %d = tensorops.sub %e, %x : tensor<4x16xf32>, tensor<4x1xf32> -> tensor<4x16xf32>
  func.return %d : tensor<4x16xf32>
}

// -----

// A batched product with an output transpose (views on both sides).

// CHECK-LABEL: func.func @batched
// CHECK-NEXT:    kernel.matmul(%k, %q) : (tensor<3x5x9x8xf32>, tensor<3x5x9x8xf32>) -> tensor<3x9x5x9xf32> {
// CHECK:           tensorops.transpose {{.*}} [0, 1, 3, 2]
// CHECK-NEXT:      tensorops.matmul
// CHECK-NEXT:      tensorops.transpose {{.*}} [0, 2, 1, 3]
// CHECK-NEXT:      kernel.yield
func.func @batched(%q: tensor<3x5x9x8xf32>, %k: tensor<3x5x9x8xf32>) -> tensor<3x9x5x9xf32> {
  %kt = tensorops.transpose %k [0, 1, 3, 2] : tensor<3x5x9x8xf32> -> tensor<3x5x8x9xf32>
  %s = tensorops.matmul %q, %kt : tensor<3x5x9x8xf32>, tensor<3x5x8x9xf32> -> tensor<3x5x9x9xf32>
  %o = tensorops.transpose %s [0, 2, 1, 3] : tensor<3x5x9x9xf32> -> tensor<3x9x5x9xf32>
  func.return %o : tensor<3x9x5x9xf32>
}

// -----

// An input scaling computed from the function's argument alone joins the lhs prologue;
// an elementwise op on another kernel's result would not.

// CHECK-LABEL: func.func @input_scaling
// CHECK-NEXT:    kernel.matmul(%x, %w) : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> {
// CHECK-NEXT:    ^bb0([[X:%[a-z_0-9]+]]: tensor<?x8xf32>, [[W:%[a-z_0-9]+]]: tensor<8x4xf32>):
// CHECK-NEXT:      [[C:%[a-z_0-9]+]] = tensorops.constant dense<1.600000e+01>
// CHECK-NEXT:      [[S:%[a-z_0-9]+]] = tensorops.div [[X]], [[C]]
// CHECK-NEXT:      tensorops.matmul [[S]], [[W]]
func.func @input_scaling(%x: tensor<?x8xf32>, %w: tensor<8x4xf32>) -> tensor<?x4xf32> {
  %c = tensorops.constant dense<1.600000e+01> : tensor<f32>
  %s = tensorops.div %x, %c : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %m = tensorops.matmul %s, %w : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<?x4xf32>
  func.return %m : tensor<?x4xf32>
}
