// RUN: mopt %s -p lower-reductions | filecheck %s

// Reductions and losses become tensorops.

model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<?x4xf32>, %i: tensor<?x4xi32>) -> (tensor<f32>, tensor<?x1xf32>, tensor<?xi64>, tensor<i64>) {
    %m = model.mean %x : tensor<?x4xf32> -> tensor<f32>
    %x1 = model.max %x {axis = 1 : i64, keepdim = true} : tensor<?x4xf32> -> tensor<?x1xf32>
    %s = model.sum %i {axis = -1 : i64} : tensor<?x4xi32> -> tensor<?xi64>
    %a = model.argmax %x : tensor<?x4xf32> -> tensor<i64>
    func.return %m, %x1, %s, %a : tensor<f32>, tensor<?x1xf32>, tensor<?xi64>, tensor<i64>
  }
  func.func @any_all(%c: tensor<?x4xi1>) -> (tensor<?xi1>, tensor<?xi1>) {
    %any = model.max %c {axis = 1 : i64} : tensor<?x4xi1> -> tensor<?xi1>
    %all = model.min %c {axis = 1 : i64} : tensor<?x4xi1> -> tensor<?xi1>
    func.return %any, %all : tensor<?xi1>, tensor<?xi1>
  }
  func.func @losses(%x: tensor<?x5xf32>, %l: tensor<?xi64>, %t: tensor<?x5xf32>) -> (tensor<f32>, tensor<f32>) {
    %ce = model.cross_entropy %x, %l : (tensor<?x5xf32>, tensor<?xi64>) -> tensor<f32>
    %se = model.mse %x, %t : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<f32>
    func.return %ce, %se : tensor<f32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    %m = tensorops.reduce_mean %x axes [0, 1] : tensor<?x4xf32> -> tensor<f32>
// CHECK-NEXT:    %x1 = tensorops.reduce_max %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    [[CAST:%.*]] = tensorops.cast %i : tensor<?x4xi32> -> tensor<?x4xi64>
// CHECK-NEXT:    %s = tensorops.reduce_sum [[CAST]] axes [1] : tensor<?x4xi64> -> tensor<?xi64>
// CHECK-NEXT:    [[RESHAPE:%.*]] = tensorops.reshape %x : tensor<?x4xf32> -> tensor<?xf32>
// CHECK-NEXT:    %a = tensorops.argmax [[RESHAPE]] axis 0 : tensor<?xf32> -> tensor<i64>
// CHECK-NEXT:    func.return %m, %x1, %s, %a : tensor<f32>, tensor<?x1xf32>, tensor<?xi64>, tensor<i64>

// Booleans reduce through int8 (tensorops reductions take no i1): max is any, min is all.
// CHECK-LABEL: func.func @any_all(
// CHECK-NEXT:    [[C8:%.*]] = tensorops.cast %c : tensor<?x4xi1> -> tensor<?x4xi8>
// CHECK-NEXT:    [[ANY8:%.*]] = tensorops.reduce_max [[C8]] axes [1] : tensor<?x4xi8> -> tensor<?xi8>
// CHECK-NEXT:    %any = tensorops.cast [[ANY8]] : tensor<?xi8> -> tensor<?xi1>
// CHECK-NEXT:    [[D8:%.*]] = tensorops.cast %c : tensor<?x4xi1> -> tensor<?x4xi8>
// CHECK-NEXT:    [[ALL8:%.*]] = tensorops.reduce_min [[D8]] axes [1] : tensor<?x4xi8> -> tensor<?xi8>
// CHECK-NEXT:    %all = tensorops.cast [[ALL8]] : tensor<?xi8> -> tensor<?xi1>
// CHECK-NEXT:    func.return %any, %all : tensor<?xi1>, tensor<?xi1>

// CHECK-LABEL: func.func @losses(
// CHECK-NEXT:    [[MAX:%.*]] = tensorops.reduce_max %x axes [1] keepdim : tensor<?x5xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    [[SHIFTED:%.*]] = tensorops.sub %x, [[MAX]] : tensor<?x5xf32>, tensor<?x1xf32> -> tensor<?x5xf32>
// CHECK-NEXT:    [[EXP:%.*]] = tensorops.exp [[SHIFTED]] : tensor<?x5xf32>
// CHECK-NEXT:    [[TOTAL:%.*]] = tensorops.reduce_sum [[EXP]] axes [1] keepdim : tensor<?x5xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    [[LOG_TOTAL:%.*]] = tensorops.log [[TOTAL]] : tensor<?x1xf32>
// CHECK-NEXT:    [[LOG_P:%.*]] = tensorops.sub [[SHIFTED]], [[LOG_TOTAL]] : tensor<?x5xf32>, tensor<?x1xf32> -> tensor<?x5xf32>
// CHECK-NEXT:    [[CLASSES:%.*]] = tensorops.iota %x axis 1 : tensor<?x5xf32> -> tensor<1x5xi64>
// CHECK-NEXT:    [[LABELS:%.*]] = tensorops.reshape %l : tensor<?xi64> -> tensor<?x1xi64>
// CHECK-NEXT:    [[IS_LABEL:%.*]] = tensorops.eq [[LABELS]], [[CLASSES]] : tensor<?x1xi64>, tensor<1x5xi64> -> tensor<?x5xi1>
// CHECK-NEXT:    [[ZERO:%.*]] = tensorops.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    [[PICKED:%.*]] = tensorops.select [[IS_LABEL]], [[LOG_P]], [[ZERO]] : tensor<?x5xi1>, tensor<?x5xf32>, tensor<f32> -> tensor<?x5xf32>
// CHECK-NEXT:    [[LOG_LIKELIHOOD:%.*]] = tensorops.reduce_sum [[PICKED]] axes [1] : tensor<?x5xf32> -> tensor<?xf32>
// CHECK-NEXT:    [[MEAN:%.*]] = tensorops.reduce_mean [[LOG_LIKELIHOOD]] axes [0] : tensor<?xf32> -> tensor<f32>
// CHECK-NEXT:    %ce = tensorops.neg [[MEAN]] : tensor<f32>
// CHECK-NEXT:    [[DIFF:%.*]] = tensorops.sub %x, %t : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
// CHECK-NEXT:    [[SQUARES:%.*]] = tensorops.mul [[DIFF]], [[DIFF]] : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
// CHECK-NEXT:    %se = tensorops.reduce_mean [[SQUARES]] axes [0, 1] : tensor<?x5xf32> -> tensor<f32>
// CHECK-NEXT:    func.return %ce, %se : tensor<f32>, tensor<f32>
