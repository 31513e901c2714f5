// RUN: mopt %s -p lower-indexing | filecheck %s

// Indexing and reshaping functions become tensorops.

model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
    %y = model.tril %x {k = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
    func.return %y : tensor<?x4x6xf32>
  }
  func.func @triu(%x: tensor<4x6xi64>) -> tensor<4x6xi64> {
    %y = model.triu %x {k = 0 : i64} : tensor<4x6xi64> -> tensor<4x6xi64>
    func.return %y : tensor<4x6xi64>
  }
  func.func @cumsum(%x: tensor<?x4xi32>) -> tensor<?x4xi64> {
    %y = model.cumsum %x {axis = -1 : i64} : tensor<?x4xi32> -> tensor<?x4xi64>
    func.return %y : tensor<?x4xi64>
  }
  func.func @topk(%x: tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xi64>) {
    %v, %i = model.topk %x {k = 2 : i64, axis = -1 : i64} : tensor<?x4xf32> -> tensor<?x2xf32>, tensor<?x2xi64>
    func.return %v, %i : tensor<?x2xf32>, tensor<?x2xi64>
  }
  func.func @gather(%x: tensor<?x4xf32>, %i: tensor<?x2xi64>) -> tensor<?x2xf32> {
    %y = model.gather %x[%i] {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x2xi64>) -> tensor<?x2xf32>
    func.return %y : tensor<?x2xf32>
  }
  func.func @unsqueeze(%x: tensor<?x?xf32>) -> tensor<1x?x?x1xf32> {
    %y = model.unsqueeze %x {axis = 0 : i64} : tensor<?x?xf32> -> tensor<1x?x?xf32>
    %z = model.unsqueeze %y {axis = -1 : i64} : tensor<1x?x?xf32> -> tensor<1x?x?x1xf32>
    func.return %z : tensor<1x?x?x1xf32>
  }
  func.func @squeeze(%x: tensor<?x1x?xf32>) -> tensor<?x?xf32> {
    %y = model.squeeze %x {axis = 1 : i64} : tensor<?x1x?xf32> -> tensor<?x?xf32>
    func.return %y : tensor<?x?xf32>
  }
  func.func @unsqueeze_dynamic(%x: tensor<?x?x?xf32>) -> tensor<?x1x?x?xf32> {
    %y = model.unsqueeze %x {axis = 1 : i64} : tensor<?x?x?xf32> -> tensor<?x1x?x?xf32>
    func.return %y : tensor<?x1x?x?xf32>
  }
  func.func @squeeze_dynamic(%x: tensor<?x1x?x?xf32>) -> tensor<?x?x?xf32> {
    %y = model.squeeze %x {axis = 1 : i64} : tensor<?x1x?x?xf32> -> tensor<?x?x?xf32>
    func.return %y : tensor<?x?x?xf32>
  }
  func.func @expand(%x: tensor<?x1xf32>) -> tensor<2x?x5xf32> {
    %y = model.expand %x array<i64: 2, -1, 5> : tensor<?x1xf32> -> tensor<2x?x5xf32>
    func.return %y : tensor<2x?x5xf32>
  }
  func.func @repeat_interleave(%x: tensor<?x3x4xf32>) -> tensor<?x6x4xf32> {
    %y = model.repeat_interleave %x {axis = 1 : i64, n = 2 : i64} : tensor<?x3x4xf32> -> tensor<?x6x4xf32>
    func.return %y : tensor<?x6x4xf32>
  }
  func.func @pad(%x: tensor<?x4xf32>) -> tensor<?x7xf32> {
    %y = model.pad %x array<i64: 1, 2> {value = 5.000000e-01 : f64} : tensor<?x4xf32> -> tensor<?x7xf32>
    func.return %y : tensor<?x7xf32>
  }
}

// CHECK-LABEL: func.func @forward(%x: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
// CHECK-NEXT: [[V0:%[0-9]+]] = tensorops.iota %x axis 1 : tensor<?x4x6xf32> -> tensor<1x4x1xi64>
// CHECK-NEXT: [[V1:%[0-9]+]] = tensorops.constant dense<1> : tensor<i64>
// CHECK-NEXT: [[V2:%[0-9]+]] = tensorops.add [[V0]], [[V1]] : tensor<1x4x1xi64>, tensor<i64> -> tensor<1x4x1xi64>
// CHECK-NEXT: [[V3:%[0-9]+]] = tensorops.iota %x axis 2 : tensor<?x4x6xf32> -> tensor<1x1x6xi64>
// CHECK-NEXT: [[V4:%[0-9]+]] = tensorops.le [[V3]], [[V2]] : tensor<1x1x6xi64>, tensor<1x4x1xi64> -> tensor<1x4x6xi1>
// CHECK-NEXT: [[V5:%[0-9]+]] = tensorops.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: %y = tensorops.select [[V4]], %x, [[V5]] : tensor<1x4x6xi1>, tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
// CHECK-NEXT: func.return %y : tensor<?x4x6xf32>
// CHECK-LABEL: func.func @triu(%x: tensor<4x6xi64>) -> tensor<4x6xi64> {
// CHECK-NEXT: [[V0:%[0-9]+]] = tensorops.iota %x axis 0 : tensor<4x6xi64> -> tensor<4x1xi64>
// CHECK-NEXT: [[V1:%[0-9]+]] = tensorops.constant dense<0> : tensor<i64>
// CHECK-NEXT: [[V2:%[0-9]+]] = tensorops.add [[V0]], [[V1]] : tensor<4x1xi64>, tensor<i64> -> tensor<4x1xi64>
// CHECK-NEXT: [[V3:%[0-9]+]] = tensorops.iota %x axis 1 : tensor<4x6xi64> -> tensor<1x6xi64>
// CHECK-NEXT: [[V4:%[0-9]+]] = tensorops.ge [[V3]], [[V2]] : tensor<1x6xi64>, tensor<4x1xi64> -> tensor<4x6xi1>
// CHECK-NEXT: [[V5:%[0-9]+]] = tensorops.constant dense<0> : tensor<i64>
// CHECK-NEXT: %y = tensorops.select [[V4]], %x, [[V5]] : tensor<4x6xi1>, tensor<4x6xi64>, tensor<i64> -> tensor<4x6xi64>
// CHECK-NEXT: func.return %y : tensor<4x6xi64>
// CHECK-LABEL: func.func @cumsum(%x: tensor<?x4xi32>) -> tensor<?x4xi64> {
// CHECK-NEXT: [[V0:%[0-9]+]] = tensorops.cast %x : tensor<?x4xi32> -> tensor<?x4xi64>
// CHECK-NEXT: %y = tensorops.cumsum [[V0]] axis 1 : tensor<?x4xi64>
// CHECK-NEXT: func.return %y : tensor<?x4xi64>
// CHECK-LABEL: func.func @topk(%x: tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xi64>) {
// CHECK-NEXT: %v, %i = tensorops.topk %x k 2 axis 1 : tensor<?x4xf32> -> tensor<?x2xf32>, tensor<?x2xi64>
// CHECK-NEXT: func.return %v, %i : tensor<?x2xf32>, tensor<?x2xi64>
// CHECK-LABEL: func.func @gather(%x: tensor<?x4xf32>, %i: tensor<?x2xi64>) -> tensor<?x2xf32> {
// CHECK-NEXT: %y = tensorops.take_along %x[%i] axis 1 : tensor<?x4xf32>, tensor<?x2xi64> -> tensor<?x2xf32>
// CHECK-NEXT: func.return %y : tensor<?x2xf32>
// CHECK-LABEL: func.func @unsqueeze(%x: tensor<?x?xf32>) -> tensor<1x?x?x1xf32> {
// CHECK-NEXT: %y = tensorops.broadcast_to %x : tensor<?x?xf32> -> tensor<1x?x?xf32>
// CHECK-NEXT: %z = tensorops.reshape_tail %y from 3 : tensor<1x?x?xf32> -> tensor<1x?x?x1xf32>
// CHECK-NEXT: func.return %z : tensor<1x?x?x1xf32>
// CHECK-LABEL: func.func @squeeze(%x: tensor<?x1x?xf32>) -> tensor<?x?xf32> {
// CHECK-NEXT: %y = tensorops.reshape_tail %x from 1 : tensor<?x1x?xf32> -> tensor<?x?xf32>
// CHECK-NEXT: func.return %y : tensor<?x?xf32>
// CHECK-LABEL: func.func @unsqueeze_dynamic(%x: tensor<?x?x?xf32>) -> tensor<?x1x?x?xf32> {
// CHECK-NEXT: [[LEAD:%[0-9]+]] = tensorops.broadcast_to %x : tensor<?x?x?xf32> -> tensor<1x?x?x?xf32>
// CHECK-NEXT: %y = tensorops.transpose [[LEAD]] [1, 0, 2, 3] : tensor<1x?x?x?xf32> -> tensor<?x1x?x?xf32>
// CHECK-NEXT: func.return %y : tensor<?x1x?x?xf32>
// CHECK-LABEL: func.func @squeeze_dynamic(%x: tensor<?x1x?x?xf32>) -> tensor<?x?x?xf32> {
// CHECK-NEXT: [[LAST:%[0-9]+]] = tensorops.transpose %x [0, 2, 3, 1] : tensor<?x1x?x?xf32> -> tensor<?x?x?x1xf32>
// CHECK-NEXT: %y = tensorops.reshape_tail [[LAST]] from 3 : tensor<?x?x?x1xf32> -> tensor<?x?x?xf32>
// CHECK-NEXT: func.return %y : tensor<?x?x?xf32>
// CHECK-LABEL: func.func @expand(%x: tensor<?x1xf32>) -> tensor<2x?x5xf32> {
// CHECK-NEXT: %y = tensorops.broadcast_to %x : tensor<?x1xf32> -> tensor<2x?x5xf32>
// CHECK-NEXT: func.return %y : tensor<2x?x5xf32>
// CHECK-LABEL: func.func @repeat_interleave(%x: tensor<?x3x4xf32>) -> tensor<?x6x4xf32> {
// CHECK-NEXT: [[V0:%[0-9]+]] = tensorops.reshape %x : tensor<?x3x4xf32> -> tensor<?x3x1x4xf32>
// CHECK-NEXT: [[V1:%[0-9]+]] = tensorops.broadcast_to [[V0]] : tensor<?x3x1x4xf32> -> tensor<?x3x2x4xf32>
// CHECK-NEXT: %y = tensorops.reshape [[V1]] : tensor<?x3x2x4xf32> -> tensor<?x6x4xf32>
// CHECK-NEXT: func.return %y : tensor<?x6x4xf32>
// CHECK-LABEL: func.func @pad(%x: tensor<?x4xf32>) -> tensor<?x7xf32> {
// CHECK-NEXT: %y = tensorops.pad %x low [0, 1] high [0, 2] value 5.000000e-01 : tensor<?x4xf32> -> tensor<?x7xf32>
// CHECK-NEXT: func.return %y : tensor<?x7xf32>
