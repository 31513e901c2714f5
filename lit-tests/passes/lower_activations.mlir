// RUN: mopt %s -p lower-activations | filecheck %s

// Activations, softmax and dropout become tensorops.

model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = model.relu %x : tensor<?x4xf32> -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @gelu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = model.gelu %x : tensor<?x4xf32> -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @silu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = model.silu %x : tensor<?x4xf32> -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @softmax(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = model.softmax %x {axis = -1 : i64} : tensor<?x4xf32> -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @log_softmax(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = model.log_softmax %x {axis = 0 : i64} : tensor<?x4xf32> -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
  func.func @dropout(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = model.dropout %x {p = 2.500000e-01 : f64} : tensor<?x4xf32> -> tensor<?x4xf32>
    func.return %y : tensor<?x4xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    [[CONSTANT:%.*]] = tensorops.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %y = tensorops.maximum %x, [[CONSTANT]] : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>

// CHECK-LABEL: func.func @gelu(
// CHECK-NEXT:    [[CONSTANT:%.*]] = tensorops.constant dense<0.707106769> : tensor<f32>
// CHECK-NEXT:    [[MUL:%.*]] = tensorops.mul %x, [[CONSTANT]] : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
// CHECK-NEXT:    [[ERF:%.*]] = tensorops.erf [[MUL]] : tensor<?x4xf32>
// CHECK-NEXT:    [[CONSTANT_1:%.*]] = tensorops.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT:    [[ADD:%.*]] = tensorops.add [[ERF]], [[CONSTANT_1]] : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
// CHECK-NEXT:    [[CONSTANT_2:%.*]] = tensorops.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT:    [[MUL_1:%.*]] = tensorops.mul %x, [[CONSTANT_2]] : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
// CHECK-NEXT:    %y = tensorops.mul [[MUL_1]], [[ADD]] : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>

// CHECK-LABEL: func.func @silu(
// CHECK-NEXT:    [[SIGMOID:%.*]] = tensorops.sigmoid %x : tensor<?x4xf32>
// CHECK-NEXT:    %y = tensorops.mul %x, [[SIGMOID]] : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>

// CHECK-LABEL: func.func @softmax(
// CHECK-NEXT:    [[REDUCE_MAX:%.*]] = tensorops.reduce_max %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    [[SUB:%.*]] = tensorops.sub %x, [[REDUCE_MAX]] : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    [[EXP:%.*]] = tensorops.exp [[SUB]] : tensor<?x4xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.*]] = tensorops.reduce_sum [[EXP]] axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    %y = tensorops.div [[EXP]], [[REDUCE_SUM]] : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>

// CHECK-LABEL: func.func @log_softmax(
// CHECK-NEXT:    [[REDUCE_MAX:%.*]] = tensorops.reduce_max %x axes [0] keepdim : tensor<?x4xf32> -> tensor<1x4xf32>
// CHECK-NEXT:    [[SUB:%.*]] = tensorops.sub %x, [[REDUCE_MAX]] : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    [[EXP:%.*]] = tensorops.exp [[SUB]] : tensor<?x4xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.*]] = tensorops.reduce_sum [[EXP]] axes [0] keepdim : tensor<?x4xf32> -> tensor<1x4xf32>
// CHECK-NEXT:    [[LOG:%.*]] = tensorops.log [[REDUCE_SUM]] : tensor<1x4xf32>
// CHECK-NEXT:    %y = tensorops.sub [[SUB]], [[LOG]] : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>

// CHECK-LABEL: func.func @dropout(
// CHECK-NEXT:    %y = tensorops.dropout %x p 2.500000e-01 : tensor<?x4xf32>
// CHECK-NEXT:    func.return %y : tensor<?x4xf32>
