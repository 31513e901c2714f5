# RUN: mopt %s | filecheck %s
# RUN: mrun --backend torch %s | filecheck %s --check-prefix=OUT
# RUN: mrun --backend reference %s | filecheck %s --check-prefix=OUT

# Sizes known only at run time: `shape(ids)[i]` of the symbolic dimensions N and T, in
# arange, reshape, zeros and a slice; one model serves the growing `ids` of a host loop.

model LM(vocab: int, dim: int, ctx: int) {
    wte = Embedding(vocab, dim)
    param wpe: f32[ctx, dim] = zeros([ctx, dim])
    head = Linear(dim, vocab)
    fn forward(ids: i64[N, T]) -> f32[N, T, vocab] {
        let n = shape(ids)[0]
        let t = shape(ids)[1]
        let pos = cast(reshape(arange(t), [1, t, 1]), f32)
        let h = reshape(wte(ids) + wpe[:t] + pos, [n, t, 2, dim / 2])
        return head(reshape(h, [n, t, dim]) + zeros([n, t, dim]))
    }
}

# CHECK-LABEL: model.def @LM_10_4_16
# CHECK:      func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x10xf32>
# CHECK:      %[[IOTA:.*]] = tensorops.iota %ids axis 1 : tensor<?x?xi64> -> tensor<1x?xi64>
# CHECK-NEXT: tensorops.reshape %[[IOTA]] : tensor<1x?xi64> -> tensor<?xi64>
# CHECK-NEXT: tensorops.reshape_dynamic %{{.*}} sizes(%ids : {{.*}}) {static_sizes = array<i64: 1, -9223372036854775808, 1>, source_axes = array<i64: 1>} : tensor<?xi64> -> tensor<1x?x1xi64>
# CHECK:      tensorops.slice_dynamic %{{.*}} sizes(%ids : tensor<?x?xi64>) {{.*}}source_axes = array<i64: 1>{{.*}} : tensor<16x4xf32> -> tensor<?x4xf32>
# CHECK:      tensorops.reshape_dynamic %{{.*}} sizes(%ids, %ids : {{.*}}) {{.*}} : tensor<?x?x4xf32> -> tensor<?x?x2x2xf32>
# CHECK:      tensorops.full_dynamic sizes(%ids, %ids : {{.*}}) {{.*}} : tensor<?x?x4xf32>

seed(0)
let net = LM(10, 4, 16)
let ids = tensor([[1, 2], [3, 4]])
for i in 0..3 {
    let next = argmax(net(ids)[:, -1], axis=-1)
    ids = concat([ids, reshape(next, [2, 1])], axis=1)
}
print(shape(ids))
# OUT: [2, 5]
