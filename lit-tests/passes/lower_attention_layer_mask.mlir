// RUN: mopt %s -p lower-attention | filecheck %s

// The Attention layer's optional mask (its last operand) applies after the causal mask,
// as `attention`'s does: a boolean one keeps the scores where it is true (select with
// -inf), a float one is added to them.

model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %keep: tensor<?x1x1x?xi1>, %bias: tensor<?x1x?x?xf32>) -> tensor<?x?x8xf32> {
    %y = model.attention %x, %w, %b, %w, %b, %w, %b, %w, %b, %keep {heads = 2 : i64, causal = true} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<?x1x1x?xi1>) -> tensor<?x?x8xf32>
    %z = model.attention %y, %w, %b, %w, %b, %w, %b, %w, %b, %bias {heads = 2 : i64, causal = false} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<?x1x?x?xf32>) -> tensor<?x?x8xf32>
    func.return %z : tensor<?x?x8xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK:         [[FUTURE:%.*]] = tensorops.gt
// CHECK-NEXT:    [[NEGINF:%.*]] = tensorops.constant dense<"0x000080FF"> : tensor<f32>
// CHECK-NEXT:    [[CAUSAL:%.*]] = tensorops.select [[FUTURE]], [[NEGINF]], {{%.*}}
// CHECK-NEXT:    [[NEGINF2:%.*]] = tensorops.constant dense<"0x000080FF"> : tensor<f32>
// CHECK-NEXT:    {{%.*}} = tensorops.select %keep, [[CAUSAL]], [[NEGINF2]]
// CHECK:         [[SCALED:%.*]] = tensorops.mul
// CHECK-NEXT:    {{%.*}} = tensorops.add [[SCALED]], %bias
// CHECK-NOT:     model.attention
