// RUN: mopt %s -p lower-layout | filecheck %s

// Layout, lookup, creation, reduction and loss ops become tensorops.

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
  func.func @embedding_and_one_hot(%ids: tensor<?x3xi32>) -> (tensor<?x3x4xf32>, tensor<?x3x5xi64>) {
    %w = model.get_param @embed.weight : tensor<10x4xf32>
    %e = model.embedding %ids, %w : (tensor<?x3xi32>, tensor<10x4xf32>) -> tensor<?x3x4xf32>
    %o = model.one_hot %ids {n = 5 : i64} : tensor<?x3xi32> -> tensor<?x3x5xi64>
    func.return %e, %o : tensor<?x3x4xf32>, tensor<?x3x5xi64>
  }
  func.func @creation() -> (tensor<2x3xf32>, tensor<3xi64>, tensor<4xi64>, tensor<2xf32>) {
    %c = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
    %z = model.ones : tensor<2x3xf32>
    %f = model.full {value = 7.000000e+00 : f64} : tensor<3xi64>
    %r = model.arange : tensor<4xi64>
    func.return %z, %f, %r, %c : tensor<2x3xf32>, tensor<3xi64>, tensor<4xi64>, tensor<2xf32>
  }
  func.func @samples() -> (tensor<2x3xf32>, tensor<4xf32>) {
    %n = model.randn : tensor<2x3xf32>
    %u = model.rand {seed = 7 : i64} : tensor<4xf32>
    %unused = model.randn : tensor<5xf32>
    func.return %n, %u : tensor<2x3xf32>, tensor<4xf32>
  }
  func.func @reductions(%x: tensor<?x4xf32>, %i: tensor<?x4xi32>) -> (tensor<f32>, tensor<?x1xf32>, tensor<?xi64>, tensor<i64>) {
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

// CHECK-LABEL: func.func @embedding_and_one_hot(
// CHECK-NEXT:    %w = model.get_param @embed.weight : tensor<10x4xf32>
// CHECK-NEXT:    %e = tensorops.gather %w[%ids] : tensor<10x4xf32>, tensor<?x3xi32> -> tensor<?x3x4xf32>
// CHECK-NEXT:    [[CONSTANT:%.*]] = tensorops.constant dense<[0, 1, 2, 3, 4]> : tensor<5xi64>
// CHECK-NEXT:    [[CAST:%.*]] = tensorops.cast %ids : tensor<?x3xi32> -> tensor<?x3xi64>
// CHECK-NEXT:    [[RESHAPE:%.*]] = tensorops.reshape [[CAST]] : tensor<?x3xi64> -> tensor<?x3x1xi64>
// CHECK-NEXT:    [[EQ:%.*]] = tensorops.eq [[RESHAPE]], [[CONSTANT]] : tensor<?x3x1xi64>, tensor<5xi64> -> tensor<?x3x5xi1>
// CHECK-NEXT:    %o = tensorops.cast [[EQ]] : tensor<?x3x5xi1> -> tensor<?x3x5xi64>
// CHECK-NEXT:    func.return %e, %o : tensor<?x3x4xf32>, tensor<?x3x5xi64>

// CHECK-LABEL: func.func @creation(
// CHECK-NEXT:    %c = tensorops.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %z = tensorops.constant dense<1.000000e+00> : tensor<2x3xf32>
// CHECK-NEXT:    %f = tensorops.constant dense<7> : tensor<3xi64>
// CHECK-NEXT:    %r = tensorops.constant dense<[0, 1, 2, 3]> : tensor<4xi64>
// CHECK-NEXT:    func.return %z, %f, %r, %c : tensor<2x3xf32>, tensor<3xi64>, tensor<4xi64>, tensor<2xf32>

// Samples keep their seed; an unused one stays, since it moves the generator on.
// CHECK-LABEL: func.func @samples(
// CHECK-NEXT:    %n = tensorops.random "normal" : tensor<2x3xf32>
// CHECK-NEXT:    %u = tensorops.random "uniform" seed 7 : tensor<4xf32>
// CHECK-NEXT:    %unused = tensorops.random "normal" : tensor<5xf32>
// CHECK-NEXT:    func.return %n, %u : tensor<2x3xf32>, tensor<4xf32>

// CHECK-LABEL: func.func @reductions(
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
