// RUN: mopt %s -p lower-arithmetic | filecheck %s

// Elementwise functions, operators and casts become tensorops; integer operands are cast
// to the type the op computes in.

model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = model.exp %x : tensor<?x4xf32> -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @sqrt_of_ints(%i: tensor<3xi64>) -> tensor<3xf32> {
    %y = model.sqrt %i : tensor<3xi64> -> tensor<3xf32>
    func.return %y : tensor<3xf32>
  }
  func.func @mixed_add(%i: tensor<4xi64>, %x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = model.add %i, %x : (tensor<4xi64>, tensor<?x4xf32>) -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @mixed_compare(%i: tensor<4xi64>, %c: tensor<f32>) -> tensor<4xi1> {
    %y = model.gt %i, %c : (tensor<4xi64>, tensor<f32>) -> tensor<4xi1>
    func.return %y : tensor<4xi1>
  }
  func.func @where(%c: tensor<?x4xi1>, %x: tensor<?x4xf32>, %i: tensor<i64>) -> tensor<?x4xf32> {
    %y = model.where %c, %x, %i : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<i64>) -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @clamp(%i: tensor<3xi64>) -> tensor<3xi64> {
    %y = model.clamp %i {lo = -1.500000e+00 : f64, hi = 2.500000e+00 : f64} : tensor<3xi64> -> tensor<3xi64>
    func.return %y : tensor<3xi64>
  }
  func.func @cast(%x: tensor<?x4xf32>) -> tensor<?x4xi32> {
    %y = model.cast %x : tensor<?x4xf32> -> tensor<?x4xi32>
    func.return %y : tensor<?x4xi32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    %y = tensorops.exp %x : tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>

// CHECK-LABEL: func.func @sqrt_of_ints(
// CHECK-NEXT:    [[CAST:%.*]] = tensorops.cast %i : tensor<3xi64> -> tensor<3xf32>
// CHECK-NEXT:    %y = tensorops.sqrt [[CAST]] : tensor<3xf32>
// CHECK-NEXT:    func.return %y : tensor<3xf32>

// CHECK-LABEL: func.func @mixed_add(
// CHECK-NEXT:    [[CAST:%.*]] = tensorops.cast %i : tensor<4xi64> -> tensor<4xf32>
// CHECK-NEXT:    %y = tensorops.add [[CAST]], %x : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>

// CHECK-LABEL: func.func @mixed_compare(
// CHECK-NEXT:    [[CAST:%.*]] = tensorops.cast %i : tensor<4xi64> -> tensor<4xf32>
// CHECK-NEXT:    %y = tensorops.gt [[CAST]], %c : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
// CHECK-NEXT:    func.return %y : tensor<4xi1>

// CHECK-LABEL: func.func @where(
// CHECK-NEXT:    [[CAST:%.*]] = tensorops.cast %i : tensor<i64> -> tensor<f32>
// CHECK-NEXT:    %y = tensorops.select %c, %x, [[CAST]] : tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>

// CHECK-LABEL: func.func @clamp(
// CHECK-NEXT:    [[CONSTANT:%.*]] = tensorops.constant dense<-1> : tensor<i64>
// CHECK-NEXT:    [[MAXIMUM:%.*]] = tensorops.maximum %i, [[CONSTANT]] : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
// CHECK-NEXT:    [[CONSTANT_1:%.*]] = tensorops.constant dense<2> : tensor<i64>
// CHECK-NEXT:    %y = tensorops.minimum [[MAXIMUM]], [[CONSTANT_1]] : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
// CHECK-NEXT:    func.return %y : tensor<3xi64>

// CHECK-LABEL: func.func @cast(
// CHECK-NEXT:    %y = tensorops.cast %x : tensor<?x4xf32> -> tensor<?x4xi32>
// CHECK-NEXT:    func.return %y : tensor<?x4xi32>
