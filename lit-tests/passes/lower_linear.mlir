// RUN: mopt %s -p lower-linear | filecheck %s

// model.linear becomes transpose + matmul (+ add) and model.matmul becomes
// tensorops.matmul inside model methods; the host program keeps its model ops.

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @fc.weight : tensor<3x4xf32> init "uniform"(5.000000e-01 : f64)
  model.param @fc.bias : tensor<3xf32> init "uniform"(5.000000e-01 : f64)
  func.func @forward(%x: tensor<?x5x4xf32>) -> tensor<?x5x3xf32> {
    %w = model.get_param @fc.weight : tensor<3x4xf32>
    %b = model.get_param @fc.bias : tensor<3xf32>
    %y = model.linear %x, %w, %b : (tensor<?x5x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x5x3xf32>
    func.return %y : tensor<?x5x3xf32>
  }
  func.func @without_bias(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
    %w = model.get_param @fc.weight : tensor<3x4xf32>
    %y = model.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
    func.return %y : tensor<2x3xf32>
  }
  func.func @product(%a: tensor<2x?x4xf32>, %m: tensor<4x3xf32>) -> tensor<2x?x3xf32> {
    %p = model.matmul %a, %m : (tensor<2x?x4xf32>, tensor<4x3xf32>) -> tensor<2x?x3xf32>
    func.return %p : tensor<2x?x3xf32>
  }
}

func.func @main(%a: tensor<2x4xf32>, %m: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %p = model.matmul %a, %m : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  func.return %p : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @forward(%x: tensor<?x5x4xf32>) -> tensor<?x5x3xf32>
// CHECK-NEXT:    %w = model.get_param @fc.weight : tensor<3x4xf32>
// CHECK-NEXT:    %b = model.get_param @fc.bias : tensor<3xf32>
// CHECK-NEXT:    [[WT:%.*]] = tensorops.transpose %w [1, 0] : tensor<3x4xf32> -> tensor<4x3xf32>
// CHECK-NEXT:    [[XW:%.*]] = tensorops.matmul %x, [[WT]] : tensor<?x5x4xf32>, tensor<4x3xf32> -> tensor<?x5x3xf32>
// CHECK-NEXT:    %y = tensorops.add [[XW]], %b : tensor<?x5x3xf32>, tensor<3xf32> -> tensor<?x5x3xf32>
// CHECK-NEXT:    func.return %y : tensor<?x5x3xf32>

// CHECK-LABEL: func.func @without_bias
// CHECK-NEXT:    %w = model.get_param @fc.weight : tensor<3x4xf32>
// CHECK-NEXT:    [[WT:%.*]] = tensorops.transpose %w [1, 0] : tensor<3x4xf32> -> tensor<4x3xf32>
// CHECK-NEXT:    %y = tensorops.matmul %x, [[WT]] : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    func.return %y : tensor<2x3xf32>

// CHECK-LABEL: func.func @product
// CHECK-NEXT:    %p = tensorops.matmul %a, %m : tensor<2x?x4xf32>, tensor<4x3xf32> -> tensor<2x?x3xf32>
// CHECK-NEXT:    func.return %p : tensor<2x?x3xf32>

// CHECK-LABEL: func.func @main
// CHECK-NEXT:    %p = model.matmul %a, %m
