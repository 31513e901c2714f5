// RUN: mopt %s -p lower-attention | filecheck %s

// Self-attention on [N, T, D] = [?, ?, 8] with 2 heads of 4: projections, heads split
// with reshape_tail (N and T stay dynamic), scores scaled by 1/sqrt(4), the causal mask
// from iota, compare and select with -inf, a stable softmax over the keys, the mix with
// v, heads merged, and the out projection. Without `causal` there is no mask.

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @a.q.weight : tensor<8x8xf32> init "uniform"(3.500000e-01 : f64)
  model.param @a.q.bias : tensor<8xf32> init "uniform"(3.500000e-01 : f64)
  model.param @a.k.weight : tensor<8x8xf32> init "uniform"(3.500000e-01 : f64)
  model.param @a.k.bias : tensor<8xf32> init "uniform"(3.500000e-01 : f64)
  model.param @a.v.weight : tensor<8x8xf32> init "uniform"(3.500000e-01 : f64)
  model.param @a.v.bias : tensor<8xf32> init "uniform"(3.500000e-01 : f64)
  model.param @a.out.weight : tensor<8x8xf32> init "uniform"(3.500000e-01 : f64)
  model.param @a.out.bias : tensor<8xf32> init "uniform"(3.500000e-01 : f64)
  func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
    %qw = model.get_param @a.q.weight : tensor<8x8xf32>
    %qb = model.get_param @a.q.bias : tensor<8xf32>
    %kw = model.get_param @a.k.weight : tensor<8x8xf32>
    %kb = model.get_param @a.k.bias : tensor<8xf32>
    %vw = model.get_param @a.v.weight : tensor<8x8xf32>
    %vb = model.get_param @a.v.bias : tensor<8xf32>
    %ow = model.get_param @a.out.weight : tensor<8x8xf32>
    %ob = model.get_param @a.out.bias : tensor<8xf32>
    %y = model.attention %x, %qw, %qb, %kw, %kb, %vw, %vb, %ow, %ob {heads = 2 : i64, causal = true} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    func.return %y : tensor<?x?x8xf32>
  }
  func.func @not_causal(%x: tensor<?x5x8xf32>) -> tensor<?x5x8xf32> {
    %qw = model.get_param @a.q.weight : tensor<8x8xf32>
    %qb = model.get_param @a.q.bias : tensor<8xf32>
    %kw = model.get_param @a.k.weight : tensor<8x8xf32>
    %kb = model.get_param @a.k.bias : tensor<8xf32>
    %vw = model.get_param @a.v.weight : tensor<8x8xf32>
    %vb = model.get_param @a.v.bias : tensor<8xf32>
    %ow = model.get_param @a.out.weight : tensor<8x8xf32>
    %ob = model.get_param @a.out.bias : tensor<8xf32>
    %y = model.attention %x, %qw, %qb, %kw, %kb, %vw, %vb, %ow, %ob {heads = 2 : i64, causal = false} : (tensor<?x5x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x5x8xf32>
    func.return %y : tensor<?x5x8xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    %qw = model.get_param @a.q.weight : tensor<8x8xf32>
// CHECK-NEXT:    %qb = model.get_param @a.q.bias : tensor<8xf32>
// CHECK-NEXT:    %kw = model.get_param @a.k.weight : tensor<8x8xf32>
// CHECK-NEXT:    %kb = model.get_param @a.k.bias : tensor<8xf32>
// CHECK-NEXT:    %vw = model.get_param @a.v.weight : tensor<8x8xf32>
// CHECK-NEXT:    %vb = model.get_param @a.v.bias : tensor<8xf32>
// CHECK-NEXT:    %ow = model.get_param @a.out.weight : tensor<8x8xf32>
// CHECK-NEXT:    %ob = model.get_param @a.out.bias : tensor<8xf32>
// CHECK-NEXT:    [[QWT:%.*]] = tensorops.transpose %qw [1, 0] : tensor<8x8xf32> -> tensor<8x8xf32>
// CHECK-NEXT:    [[QXW:%.*]] = tensorops.matmul %x, [[QWT]] : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[Q:%.*]] = tensorops.add [[QXW]], %qb : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[KWT:%.*]] = tensorops.transpose %kw [1, 0] : tensor<8x8xf32> -> tensor<8x8xf32>
// CHECK-NEXT:    [[KXW:%.*]] = tensorops.matmul %x, [[KWT]] : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[K:%.*]] = tensorops.add [[KXW]], %kb : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[VWT:%.*]] = tensorops.transpose %vw [1, 0] : tensor<8x8xf32> -> tensor<8x8xf32>
// CHECK-NEXT:    [[VXW:%.*]] = tensorops.matmul %x, [[VWT]] : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[V:%.*]] = tensorops.add [[VXW]], %vb : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[QS:%.*]] = tensorops.reshape_tail [[Q]] from 2 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
// CHECK-NEXT:    [[QH:%.*]] = tensorops.transpose [[QS]] [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
// CHECK-NEXT:    [[KS:%.*]] = tensorops.reshape_tail [[K]] from 2 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
// CHECK-NEXT:    [[KT:%.*]] = tensorops.transpose [[KS]] [0, 2, 3, 1] : tensor<?x?x2x4xf32> -> tensor<?x2x4x?xf32>
// CHECK-NEXT:    [[VS:%.*]] = tensorops.reshape_tail [[V]] from 2 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
// CHECK-NEXT:    [[VH:%.*]] = tensorops.transpose [[VS]] [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
// CHECK-NEXT:    [[PRODUCTS:%.*]] = tensorops.matmul [[QH]], [[KT]] : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
// CHECK-NEXT:    [[SCALE:%.*]] = tensorops.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT:    [[SCORES:%.*]] = tensorops.mul [[PRODUCTS]], [[SCALE]] : tensor<?x2x?x?xf32>, tensor<f32> -> tensor<?x2x?x?xf32>
// CHECK-NEXT:    [[QUERY:%.*]] = tensorops.iota [[SCORES]] axis 2 : tensor<?x2x?x?xf32> -> tensor<1x1x?x1xi64>
// CHECK-NEXT:    [[KEY:%.*]] = tensorops.iota [[SCORES]] axis 3 : tensor<?x2x?x?xf32> -> tensor<1x1x1x?xi64>
// CHECK-NEXT:    [[FUTURE:%.*]] = tensorops.gt [[KEY]], [[QUERY]] : tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64> -> tensor<1x1x?x?xi1>
// CHECK-NEXT:    [[NEG_INF:%.*]] = tensorops.constant dense<"0x000080FF"> : tensor<f32>
// CHECK-NEXT:    [[MASKED:%.*]] = tensorops.select [[FUTURE]], [[NEG_INF]], [[SCORES]] : tensor<1x1x?x?xi1>, tensor<f32>, tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
// CHECK-NEXT:    [[MAX:%.*]] = tensorops.reduce_max [[MASKED]] axes [3] keepdim : tensor<?x2x?x?xf32> -> tensor<?x2x?x1xf32>
// CHECK-NEXT:    [[SHIFTED:%.*]] = tensorops.sub [[MASKED]], [[MAX]] : tensor<?x2x?x?xf32>, tensor<?x2x?x1xf32> -> tensor<?x2x?x?xf32>
// CHECK-NEXT:    [[EXP:%.*]] = tensorops.exp [[SHIFTED]] : tensor<?x2x?x?xf32>
// CHECK-NEXT:    [[SUM:%.*]] = tensorops.reduce_sum [[EXP]] axes [3] keepdim : tensor<?x2x?x?xf32> -> tensor<?x2x?x1xf32>
// CHECK-NEXT:    [[PROBS:%.*]] = tensorops.div [[EXP]], [[SUM]] : tensor<?x2x?x?xf32>, tensor<?x2x?x1xf32> -> tensor<?x2x?x?xf32>
// CHECK-NEXT:    [[MIXED:%.*]] = tensorops.matmul [[PROBS]], [[VH]] : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
// CHECK-NEXT:    [[MIXED_T:%.*]] = tensorops.transpose [[MIXED]] [0, 2, 1, 3] : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
// CHECK-NEXT:    [[MERGED:%.*]] = tensorops.reshape_tail [[MIXED_T]] from 2 : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    [[OWT:%.*]] = tensorops.transpose %ow [1, 0] : tensor<8x8xf32> -> tensor<8x8xf32>
// CHECK-NEXT:    [[OXW:%.*]] = tensorops.matmul [[MERGED]], [[OWT]] : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    %y = tensorops.add [[OXW]], %ob : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
// CHECK-NEXT:    func.return %y : tensor<?x?x8xf32>

// CHECK-LABEL: func.func @not_causal(
// CHECK:         [[QH:%.*]] = tensorops.transpose {{.*}} [0, 2, 1, 3] : tensor<?x5x2x4xf32> -> tensor<?x2x5x4xf32>
// CHECK:         [[KT:%.*]] = tensorops.transpose {{.*}} [0, 2, 3, 1] : tensor<?x5x2x4xf32> -> tensor<?x2x4x5xf32>
// CHECK:         [[VH:%.*]] = tensorops.transpose {{.*}} [0, 2, 1, 3] : tensor<?x5x2x4xf32> -> tensor<?x2x5x4xf32>
// CHECK-NEXT:    [[PRODUCTS:%.*]] = tensorops.matmul [[QH]], [[KT]] : tensor<?x2x5x4xf32>, tensor<?x2x4x5xf32> -> tensor<?x2x5x5xf32>
// CHECK-NEXT:    [[SCALE:%.*]] = tensorops.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT:    [[SCORES:%.*]] = tensorops.mul [[PRODUCTS]], [[SCALE]] : tensor<?x2x5x5xf32>, tensor<f32> -> tensor<?x2x5x5xf32>
// CHECK-NEXT:    [[MAX:%.*]] = tensorops.reduce_max [[SCORES]] axes [3] keepdim : tensor<?x2x5x5xf32> -> tensor<?x2x5x1xf32>
// CHECK-NEXT:    [[SHIFTED:%.*]] = tensorops.sub [[SCORES]], [[MAX]] : tensor<?x2x5x5xf32>, tensor<?x2x5x1xf32> -> tensor<?x2x5x5xf32>
// CHECK-NEXT:    [[EXP:%.*]] = tensorops.exp [[SHIFTED]] : tensor<?x2x5x5xf32>
// CHECK-NEXT:    [[SUM:%.*]] = tensorops.reduce_sum [[EXP]] axes [3] keepdim : tensor<?x2x5x5xf32> -> tensor<?x2x5x1xf32>
// CHECK-NEXT:    [[PROBS:%.*]] = tensorops.div [[EXP]], [[SUM]] : tensor<?x2x5x5xf32>, tensor<?x2x5x1xf32> -> tensor<?x2x5x5xf32>
// CHECK-NEXT:    [[MIXED:%.*]] = tensorops.matmul [[PROBS]], [[VH]] : tensor<?x2x5x5xf32>, tensor<?x2x5x4xf32> -> tensor<?x2x5x4xf32>
// CHECK-NEXT:    [[MIXED_T:%.*]] = tensorops.transpose [[MIXED]] [0, 2, 1, 3] : tensor<?x2x5x4xf32> -> tensor<?x5x2x4xf32>
// CHECK-NEXT:    [[MERGED:%.*]] = tensorops.reshape_tail [[MIXED_T]] from 2 : tensor<?x5x2x4xf32> -> tensor<?x5x8xf32>
// CHECK-NEXT:    [[OWT:%.*]] = tensorops.transpose %ow [1, 0] : tensor<8x8xf32> -> tensor<8x8xf32>
// CHECK-NEXT:    [[OXW:%.*]] = tensorops.matmul [[MERGED]], [[OWT]] : tensor<?x5x8xf32>, tensor<8x8xf32> -> tensor<?x5x8xf32>
// CHECK-NEXT:    %y = tensorops.add [[OXW]], %ob : tensor<?x5x8xf32>, tensor<8xf32> -> tensor<?x5x8xf32>
// CHECK-NEXT:    func.return %y : tensor<?x5x8xf32>
