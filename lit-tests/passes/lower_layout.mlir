// RUN: mopt %s -p lower-layout | filecheck %s

// Layout and indexing ops become tensorops.

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @embed.weight : tensor<10x4xf32> init "normal"(1.000000e+00 : f64)
  func.func @forward(%x: tensor<?x3x4xf32>) -> tensor<?x12xf32> {
    %y = model.flatten %x {start = 1 : i64} : tensor<?x3x4xf32> -> tensor<?x12xf32>
    func.return %y : tensor<?x12xf32>
  }
  func.func @flatten_dynamic(%x: tensor<?x?x4xf32>) -> tensor<?x?xf32> {
    %y = model.flatten %x {start = 1 : i64} : tensor<?x?x4xf32> -> tensor<?x?xf32>
    func.return %y : tensor<?x?xf32>
  }
  func.func @transpose_permute_reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
    %t = model.transpose %x {dim0 = 0 : i64, dim1 = -1 : i64} : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
    %p = model.permute %t array<i64: 0, 2, 1> : tensor<4x3x2xf32> -> tensor<4x2x3xf32>
    %y = model.reshape %p array<i64: -1, 6> : tensor<4x2x3xf32> -> tensor<4x6xf32>
    func.return %y : tensor<4x6xf32>
  }
  func.func @concat(%a: tensor<?x2xf32>, %b: tensor<?x3xf32>) -> tensor<?x5xf32> {
    %y = model.concat %a, %b {axis = 1 : i64} : (tensor<?x2xf32>, tensor<?x3xf32>) -> tensor<?x5xf32>
    func.return %y : tensor<?x5xf32>
  }
  func.func @slice(%x: tensor<?x?x4xf32>) -> tensor<?x?xf32> {
    %y = model.slice %x [":", "1:", "-1"] : tensor<?x?x4xf32> -> tensor<?x?xf32>
    func.return %y : tensor<?x?xf32>
  }
  func.func @embedding(%ids: tensor<?x3xi32>) -> tensor<?x3x4xf32> {
    %w = model.get_param @embed.weight : tensor<10x4xf32>
    %e = model.embedding %ids, %w : (tensor<?x3xi32>, tensor<10x4xf32>) -> tensor<?x3x4xf32>
    func.return %e : tensor<?x3x4xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    %y = tensorops.reshape %x : tensor<?x3x4xf32> -> tensor<?x12xf32>
// CHECK-NEXT:    func.return %y : tensor<?x12xf32>

// CHECK-LABEL: func.func @flatten_dynamic(
// CHECK-NEXT:    %y = tensorops.reshape_tail %x from 1 : tensor<?x?x4xf32> -> tensor<?x?xf32>
// CHECK-NEXT:    func.return %y : tensor<?x?xf32>

// CHECK-LABEL: func.func @transpose_permute_reshape(
// CHECK-NEXT:    %t = tensorops.transpose %x [2, 1, 0] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK-NEXT:    %p = tensorops.transpose %t [0, 2, 1] : tensor<4x3x2xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT:    %y = tensorops.reshape %p : tensor<4x2x3xf32> -> tensor<4x6xf32>
// CHECK-NEXT:    func.return %y : tensor<4x6xf32>

// CHECK-LABEL: func.func @concat(
// CHECK-NEXT:    %y = tensorops.concat %a, %b axis 1 : tensor<?x2xf32>, tensor<?x3xf32> -> tensor<?x5xf32>
// CHECK-NEXT:    func.return %y : tensor<?x5xf32>

// CHECK-LABEL: func.func @slice(
// CHECK-NEXT:    [[SLICE:%.*]] = tensorops.slice %x[:, 1:, -1:] : tensor<?x?x4xf32> -> tensor<?x?x1xf32>
// CHECK-NEXT:    %y = tensorops.reshape_tail [[SLICE]] from 2 : tensor<?x?x1xf32> -> tensor<?x?xf32>
// CHECK-NEXT:    func.return %y : tensor<?x?xf32>

// CHECK-LABEL: func.func @embedding(
// CHECK-NEXT:    %w = model.get_param @embed.weight : tensor<10x4xf32>
// CHECK-NEXT:    %e = tensorops.gather %w[%ids] : tensor<10x4xf32>, tensor<?x3xi32> -> tensor<?x3x4xf32>
// CHECK-NEXT:    func.return %e : tensor<?x3x4xf32>
