# RUN: mopt %s | filecheck %s

# The built-in tensor functions, called from model methods (where every value is a tensor,
# so numbers become 0-d constants), and compile-time folding of calls on known numbers.

fn elementwise(x: f32[N, 4]) -> f32[N, 4] {
    let a = gelu(x) + silu(x) + sigmoid(x) + tanh(x) + exp(x) + log(x)
    let b = sqrt(x) + rsqrt(x) + abs(x) + sin(x) + cos(x) + relu(x)
    return maximum(a, b) - minimum(a, 0.5) + clamp(x, -1, 1) * (1.0 / sqrt(16))
}

fn reductions(x: f32[N, 4, 5]) -> f32[N] {
    let s = sum(x) + mean(x, axis=1, keepdim=true)[:, 0, 0] + max(x, 2)[:, 0] + min(x, axis=-1)[:, 1]
    return s + cast(argmax(x, axis=1)[:, 0], f32)
}

fn layout(x: f32[2, 3, 4]) -> f32[4, 6] {
    let t = transpose(x, 0, 2)
    let f = flatten(t, start=1)
    let r = reshape(x, [6, -1])
    return where(f > 0.0, f, transpose(r, 0, 1))
}

fn made(ids: i64[N]) -> f32[N, 3] {
    let e = cast(one_hot(ids, 3), f32)
    let c = zeros([3]) + ones([3]) + full([3], 2.0) + cast(arange(3), f32) + rand([3], seed=1)
    let t = tensor([[1.0, 2.0, 3.0]]) + cast(full([1, 3], 7), f32)
    return softmax(e * c + randn([3]), axis=-1) + log_softmax(t) + cast(tensor([true, false, true]), f32)
}

fn losses(logits: f32[N, 3], labels: i64[N]) -> f32[] {
    return cross_entropy(logits, labels) + mse(logits, zeros([1, 3])) + matmul(logits[0], ones([3]))
}

model Uses() {
    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        return elementwise(x)
    }

    fn reduce(x: f32[N, 4, 5]) -> f32[N] {
        return reductions(x)
    }

    fn shuffle(x: f32[2, 3, 4]) -> f32[4, 6] {
        return layout(x)
    }

    fn create(ids: i64[N]) -> f32[N, 3] {
        return made(ids)
    }

    fn loss(logits: f32[N, 3], labels: i64[N]) -> f32[] {
        return losses(logits, labels)
    }
}

let uses = Uses()
let x = randn([2, 4])
print(uses(x), shape(x), shape(dataset("iris").x))

# CHECK-LABEL: model.def @Uses attributes {source = "Uses", hparams = {}} {
# CHECK-NEXT: func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
# CHECK-NEXT: [[GELU:%.*]] = model.gelu %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[SILU:%.*]] = model.silu %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD:%.*]] = model.add [[GELU]], [[SILU]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[SIGMOID:%.*]] = model.sigmoid %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD2:%.*]] = model.add [[ADD]], [[SIGMOID]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[TANH:%.*]] = model.tanh %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD3:%.*]] = model.add [[ADD2]], [[TANH]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[EXP:%.*]] = model.exp %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD4:%.*]] = model.add [[ADD3]], [[EXP]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[LOG:%.*]] = model.log %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD5:%.*]] = model.add [[ADD4]], [[LOG]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[SQRT:%.*]] = model.sqrt %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[RSQRT:%.*]] = model.rsqrt %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD6:%.*]] = model.add [[SQRT]], [[RSQRT]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[ABS:%.*]] = model.abs %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD7:%.*]] = model.add [[ADD6]], [[ABS]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[SIN:%.*]] = model.sin %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD8:%.*]] = model.add [[ADD7]], [[SIN]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[COS:%.*]] = model.cos %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD9:%.*]] = model.add [[ADD8]], [[COS]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[RELU:%.*]] = model.relu %x : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD10:%.*]] = model.add [[ADD9]], [[RELU]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[MAXIMUM:%.*]] = model.maximum [[ADD5]], [[ADD10]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[CST:%.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
# CHECK-NEXT: [[MINIMUM:%.*]] = model.minimum [[ADD5]], [[CST]] : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[SUB:%.*]] = model.sub [[MAXIMUM]], [[MINIMUM]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[CLAMP:%.*]] = model.clamp %x {lo = -1.000000e+00 : f64, hi = 1.000000e+00 : f64} : tensor<?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[CST2:%.*]] = arith.constant dense<2.500000e-01> : tensor<f32>
# CHECK-NEXT: [[MUL:%.*]] = model.mul [[CLAMP]], [[CST2]] : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
# CHECK-NEXT: [[ADD11:%.*]] = model.add [[SUB]], [[MUL]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: func.return [[ADD11]] : tensor<?x4xf32>
# CHECK-NEXT: }
# CHECK-NEXT: func.func @reduce(%x: tensor<?x4x5xf32>) -> tensor<?xf32> {
# CHECK-NEXT: [[SUM:%.*]] = model.sum %x : tensor<?x4x5xf32> -> tensor<f32>
# CHECK-NEXT: [[MEAN:%.*]] = model.mean %x {axis = 1 : i64, keepdim = true} : tensor<?x4x5xf32> -> tensor<?x1x5xf32>
# CHECK-NEXT: [[SLICE:%.*]] = model.slice [[MEAN]] [":", "0", "0"] : tensor<?x1x5xf32> -> tensor<?xf32>
# CHECK-NEXT: [[ADD12:%.*]] = model.add [[SUM]], [[SLICE]] : (tensor<f32>, tensor<?xf32>) -> tensor<?xf32>
# CHECK-NEXT: [[MAX:%.*]] = model.max %x {axis = 2 : i64} : tensor<?x4x5xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[SLICE2:%.*]] = model.slice [[MAX]] [":", "0"] : tensor<?x4xf32> -> tensor<?xf32>
# CHECK-NEXT: [[ADD13:%.*]] = model.add [[ADD12]], [[SLICE2]] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
# CHECK-NEXT: [[MIN:%.*]] = model.min %x {axis = -1 : i64} : tensor<?x4x5xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[SLICE3:%.*]] = model.slice [[MIN]] [":", "1"] : tensor<?x4xf32> -> tensor<?xf32>
# CHECK-NEXT: [[ADD14:%.*]] = model.add [[ADD13]], [[SLICE3]] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
# CHECK-NEXT: [[ARGMAX:%.*]] = model.argmax %x {axis = 1 : i64} : tensor<?x4x5xf32> -> tensor<?x5xi64>
# CHECK-NEXT: [[SLICE4:%.*]] = model.slice [[ARGMAX]] [":", "0"] : tensor<?x5xi64> -> tensor<?xi64>
# CHECK-NEXT: [[CAST:%.*]] = model.cast [[SLICE4]] : tensor<?xi64> -> tensor<?xf32>
# CHECK-NEXT: [[ADD15:%.*]] = model.add [[ADD14]], [[CAST]] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
# CHECK-NEXT: func.return [[ADD15]] : tensor<?xf32>
# CHECK-NEXT: }
# CHECK-NEXT: func.func @shuffle(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
# CHECK-NEXT: [[TRANSPOSE:%.*]] = model.transpose %x {dim0 = 0 : i64, dim1 = 2 : i64} : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
# CHECK-NEXT: [[FLATTEN:%.*]] = model.flatten [[TRANSPOSE]] {start = 1 : i64} : tensor<4x3x2xf32> -> tensor<4x6xf32>
# CHECK-NEXT: [[RESHAPE:%.*]] = model.reshape %x array<i64: 6, -1> : tensor<2x3x4xf32> -> tensor<6x4xf32>
# CHECK-NEXT: [[CST3:%.*]] = arith.constant dense<0.000000e+00> : tensor<f32>
# CHECK-NEXT: [[GT:%.*]] = model.gt [[FLATTEN]], [[CST3]] : (tensor<4x6xf32>, tensor<f32>) -> tensor<4x6xi1>
# CHECK-NEXT: [[TRANSPOSE2:%.*]] = model.transpose [[RESHAPE]] {dim0 = 0 : i64, dim1 = 1 : i64} : tensor<6x4xf32> -> tensor<4x6xf32>
# CHECK-NEXT: [[WHERE:%.*]] = model.where [[GT]], [[FLATTEN]], [[TRANSPOSE2]] : (tensor<4x6xi1>, tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
# CHECK-NEXT: func.return [[WHERE]] : tensor<4x6xf32>
# CHECK-NEXT: }
# CHECK-NEXT: func.func @create(%ids: tensor<?xi64>) -> tensor<?x3xf32> {
# CHECK-NEXT: [[ONE_HOT:%.*]] = model.one_hot %ids {n = 3 : i64} : tensor<?xi64> -> tensor<?x3xi64>
# CHECK-NEXT: [[CAST2:%.*]] = model.cast [[ONE_HOT]] : tensor<?x3xi64> -> tensor<?x3xf32>
# CHECK-NEXT: [[ZEROS:%.*]] = model.zeros : tensor<3xf32>
# CHECK-NEXT: [[ONES:%.*]] = model.ones : tensor<3xf32>
# CHECK-NEXT: [[ADD16:%.*]] = model.add [[ZEROS]], [[ONES]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
# CHECK-NEXT: [[FULL:%.*]] = model.full {value = 2.000000e+00 : f64} : tensor<3xf32>
# CHECK-NEXT: [[ADD17:%.*]] = model.add [[ADD16]], [[FULL]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
# CHECK-NEXT: [[ARANGE:%.*]] = model.arange : tensor<3xi64>
# CHECK-NEXT: [[CAST3:%.*]] = model.cast [[ARANGE]] : tensor<3xi64> -> tensor<3xf32>
# CHECK-NEXT: [[ADD18:%.*]] = model.add [[ADD17]], [[CAST3]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
# CHECK-NEXT: [[RAND:%.*]] = model.rand {seed = 1 : i64} : tensor<3xf32>
# CHECK-NEXT: [[ADD19:%.*]] = model.add [[ADD18]], [[RAND]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
# CHECK-NEXT: [[CST4:%.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00{{\]\]}}> : tensor<1x3xf32>
# CHECK-NEXT: [[FULL2:%.*]] = model.full {value = 7.000000e+00 : f64} : tensor<1x3xi64>
# CHECK-NEXT: [[CAST4:%.*]] = model.cast [[FULL2]] : tensor<1x3xi64> -> tensor<1x3xf32>
# CHECK-NEXT: [[ADD20:%.*]] = model.add [[CST4]], [[CAST4]] : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
# CHECK-NEXT: [[MUL2:%.*]] = model.mul [[CAST2]], [[ADD19]] : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: [[RANDN:%.*]] = model.randn : tensor<3xf32>
# CHECK-NEXT: [[ADD21:%.*]] = model.add [[MUL2]], [[RANDN]] : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: [[SOFTMAX:%.*]] = model.softmax [[ADD21]] {axis = -1 : i64} : tensor<?x3xf32> -> tensor<?x3xf32>
# CHECK-NEXT: [[LOG_SOFTMAX:%.*]] = model.log_softmax [[ADD20]] {axis = -1 : i64} : tensor<1x3xf32> -> tensor<1x3xf32>
# CHECK-NEXT: [[ADD22:%.*]] = model.add [[SOFTMAX]], [[LOG_SOFTMAX]] : (tensor<?x3xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: [[CST5:%.*]] = arith.constant dense<[true, false, true]> : tensor<3xi1>
# CHECK-NEXT: [[CAST5:%.*]] = model.cast [[CST5]] : tensor<3xi1> -> tensor<3xf32>
# CHECK-NEXT: [[ADD23:%.*]] = model.add [[ADD22]], [[CAST5]] : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: func.return [[ADD23]] : tensor<?x3xf32>
# CHECK-NEXT: }
# CHECK-NEXT: func.func @loss(%logits: tensor<?x3xf32>, %labels: tensor<?xi64>) -> tensor<f32> {
# CHECK-NEXT: [[CROSS_ENTROPY:%.*]] = model.cross_entropy %logits, %labels : (tensor<?x3xf32>, tensor<?xi64>) -> tensor<f32>
# CHECK-NEXT: [[ZEROS2:%.*]] = model.zeros : tensor<1x3xf32>
# CHECK-NEXT: [[MSE:%.*]] = model.mse %logits, [[ZEROS2]] : (tensor<?x3xf32>, tensor<1x3xf32>) -> tensor<f32>
# CHECK-NEXT: [[ADD24:%.*]] = model.add [[CROSS_ENTROPY]], [[MSE]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
# CHECK-NEXT: [[SLICE5:%.*]] = model.slice %logits ["0"] : tensor<?x3xf32> -> tensor<3xf32>
# CHECK-NEXT: [[ONES2:%.*]] = model.ones : tensor<3xf32>
# CHECK-NEXT: [[MATMUL:%.*]] = model.matmul [[SLICE5]], [[ONES2]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<f32>
# CHECK-NEXT: [[ADD25:%.*]] = model.add [[ADD24]], [[MATMUL]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
# CHECK-NEXT: func.return [[ADD25]] : tensor<f32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Uses : !model.model<"Uses">
# CHECK-NEXT: [[RANDN:%.*]] = model.randn : tensor<2x4xf32>
# CHECK-NEXT: [[CALL:%.*]] = model.call [[INSTANTIATE]] @forward([[RANDN]]) : !model.model<"Uses">, (tensor<2x4xf32>) -> tensor<2x4xf32>
# CHECK-NEXT: [[S_IRIS:%.*]] = model.str "iris"
# CHECK-NEXT: [[DATASET:%.*]] = model.dataset [[S_IRIS]] : !model.str -> !model.dataset
# CHECK-NEXT: [[DATA_X:%.*]] = model.data_x [[DATASET]] : !model.dataset -> tensor<?x4xf32>
# CHECK-NEXT: [[SHAPE:%.*]] = model.shape [[DATA_X]] : tensor<?x4xf32> -> !model.list<i64>
# CHECK-NEXT: [[C2:%.*]] = arith.constant 2 : i64
# CHECK-NEXT: [[C4:%.*]] = arith.constant 4 : i64
# CHECK-NEXT: [[LIST:%.*]] = model.list [[C2]], [[C4]] : (i64, i64) -> !model.list<i64>
# CHECK-NEXT: model.print [[CALL]], [[LIST]], [[SHAPE]] : tensor<2x4xf32>, !model.list<i64>, !model.list<i64>
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
