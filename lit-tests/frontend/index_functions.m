# RUN: mopt %s | filecheck %s

# The indexing, reshaping and masking tensor functions of M 0.2, called from a model
# method: one model op each, except chunk (slices), masked_fill (where), normalize
# (arithmetic, as torch.nn.functional.normalize) and dropout (the Dropout layer's op).

model M() {
    fn forward(x: f32[N, 4, 6], ids: i32[N, 4, 2]) -> f32[N, 4, 6] {
        # CHECK: model.tril %x {k = 0 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
        # CHECK: model.triu %x {k = -1 : i64}
        # CHECK: model.erf %x
        # CHECK: model.pow %x, %{{.*}} : (tensor<?x4x6xf32>, tensor<f32>) -> tensor<?x4x6xf32>
        let a = tril(x) + triu(x, -1) * erf(x) + pow(x, 2.0)
        # CHECK: model.cumsum %x {axis = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
        let c = cumsum(x, 1)
        # CHECK: model.topk %x {k = 2 : i64, axis = -1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x2xf32>, tensor<?x4x2xi64>
        let (v, i) = topk(x, 2)
        # CHECK: [[IDS:%.*]] = model.cast %ids : tensor<?x4x2xi32> -> tensor<?x4x2xi64>
        # CHECK: model.gather %x[[[IDS]]] {axis = 2 : i64} : (tensor<?x4x6xf32>, tensor<?x4x2xi64>) -> tensor<?x4x2xf32>
        let g = gather(x, 2, ids)
        # CHECK: model.unsqueeze %x {axis = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x1x4x6xf32>
        # CHECK: model.squeeze %{{.*}} {axis = 1 : i64} : tensor<?x1x4x6xf32> -> tensor<?x4x6xf32>
        let u = squeeze(unsqueeze(x, 1), 1)
        # CHECK: model.expand %{{.*}} array<i64: -1, 4, 6> : tensor<?x4x1xf32> -> tensor<?x4x6xf32>
        let e = expand(x[:, :, 0:1], [-1, 4, 6])
        # CHECK: model.repeat_interleave %{{.*}} {n = 3 : i64, axis = 2 : i64} : tensor<?x4x2xf32> -> tensor<?x4x6xf32>
        let r = repeat_interleave(x[:, :, 0:2], 3, 2)
        # CHECK: model.slice %x [":", ":", "0:3"]
        # CHECK: model.slice %x [":", ":", "3:6"]
        let (p, q) = chunk(x, 2, 2)
        # CHECK: model.pad %{{.*}} array<i64: 1, 2> {value = 5.000000e-01 : f64} : tensor<?x4x3xf32> -> tensor<?x4x6xf32>
        let z = pad(p, [1, 2], value=0.5)
        # CHECK: [[MASK:%.*]] = model.gt %x
        # CHECK: model.where [[MASK]], %{{.*}}, %x : (tensor<?x4x6xi1>, tensor<f32>, tensor<?x4x6xf32>) -> tensor<?x4x6xf32>
        let m = masked_fill(x, x > 0.5, -1.0)
        # CHECK: model.sum %{{.*}} {axis = -1 : i64, keepdim = true}
        # CHECK: model.maximum %{{.*}}, %{{.*}} : (tensor<?x4x1xf32>, tensor<f32>) -> tensor<?x4x1xf32>
        let n = normalize(x)
        # CHECK: model.dropout %x {p = 1.000000e-01 : f64}
        let d = dropout(x, 0.1)
        return a + c + u + e + r + z + m + n + d + concat([g, v, cast(i, f32)], 2) + q[:, :, 0:1]
    }
}

let m = M()
