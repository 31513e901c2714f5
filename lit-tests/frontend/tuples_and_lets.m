# RUN: mopt %s | filecheck %s

# `let (a, b) = ...` unpacks host tuples with model.index, compile-time tuples without
# any op, and the two results of a method call; methods and functions return tuples.

fn halves(x: f32[N, 8]) -> (f32[N, 4], f32[N, 4]) {
    return (x[:, :4], x[:, 4:])
}

model Pair(dim: int) {
    fc = Linear(dim, 8)

    fn forward(x: f32[N, dim]) -> f32[N, 4] {
        let (a, b) = halves(fc(x))
        return a - b
    }

    fn both(x: f32[N, dim]) -> (f32[N, 4], f32[N, 4]) {
        return halves(fc(x))
    }
}

let (train, test) = split(dataset("iris"), 0.75)
let (lo, hi) = (1, 2.5)
let net = Pair(4)
let (p, q) = net.both(randn([3, 4]))
print(lo, hi, p, q)

# CHECK-LABEL: model.def @Pair_4 attributes {source = "Pair", hparams = {dim = 4 : i64}} {
# CHECK-NEXT: model.param @fc.weight : tensor<8x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @fc.bias : tensor<8xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
# CHECK-NEXT: [[FC_WEIGHT:%.*]] = model.get_param @fc.weight : tensor<8x4xf32>
# CHECK-NEXT: [[FC_BIAS:%.*]] = model.get_param @fc.bias : tensor<8xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear %x, [[FC_WEIGHT]], [[FC_BIAS]] {layer = "fc"} : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<?x8xf32>
# CHECK-NEXT: [[SLICE:%.*]] = model.slice [[LINEAR]] [":", ":4"] : tensor<?x8xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[SLICE2:%.*]] = model.slice [[LINEAR]] [":", "4:"] : tensor<?x8xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[SUB:%.*]] = model.sub [[SLICE]], [[SLICE2]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
# CHECK-NEXT: func.return [[SUB]] : tensor<?x4xf32>
# CHECK-NEXT: }
# CHECK-NEXT: func.func @both(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
# CHECK-NEXT: [[FC_WEIGHT2:%.*]] = model.get_param @fc.weight : tensor<8x4xf32>
# CHECK-NEXT: [[FC_BIAS2:%.*]] = model.get_param @fc.bias : tensor<8xf32>
# CHECK-NEXT: [[LINEAR2:%.*]] = model.linear %x, [[FC_WEIGHT2]], [[FC_BIAS2]] {layer = "fc"} : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<?x8xf32>
# CHECK-NEXT: [[SLICE3:%.*]] = model.slice [[LINEAR2]] [":", ":4"] : tensor<?x8xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[SLICE4:%.*]] = model.slice [[LINEAR2]] [":", "4:"] : tensor<?x8xf32> -> tensor<?x4xf32>
# CHECK-NEXT: func.return [[SLICE3]], [[SLICE4]] : tensor<?x4xf32>, tensor<?x4xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[S_IRIS:%.*]] = model.str "iris"
# CHECK-NEXT: [[DATASET:%.*]] = model.dataset [[S_IRIS]] : !model.str -> !model.dataset
# CHECK-NEXT: [[F:%.*]] = arith.constant 7.500000e-01 : f64
# CHECK-NEXT: [[SPLIT:%.*]] = model.split [[DATASET]], [[F]] : !model.dataset, f64 -> tuple<!model.dataset, !model.dataset>
# CHECK-NEXT: [[C0:%.*]] = arith.constant 0 : i64
# CHECK-NEXT: [[INDEX:%.*]] = model.index [[SPLIT]]{{\[}}[[C0]]{{\]}} : (tuple<!model.dataset, !model.dataset>, i64) -> !model.dataset
# CHECK-NEXT: [[C1:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[INDEX2:%.*]] = model.index [[SPLIT]]{{\[}}[[C1]]{{\]}} : (tuple<!model.dataset, !model.dataset>, i64) -> !model.dataset
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Pair_4 : !model.model<"Pair_4">
# CHECK-NEXT: [[RANDN:%.*]] = model.randn : tensor<3x4xf32>
# CHECK-NEXT: [[CALL:%[^ ,]+]], [[CALL2:%[^ ,]+]] = model.call [[INSTANTIATE]] @both([[RANDN]]) : !model.model<"Pair_4">, (tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>)
# CHECK-NEXT: [[C12:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[F2:%.*]] = arith.constant 2.500000e+00 : f64
# CHECK-NEXT: model.print [[C12]], [[F2]], [[CALL]], [[CALL2]] : i64, f64, tensor<3x4xf32>, tensor<3x4xf32>
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
