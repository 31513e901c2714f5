# RUN: mopt %s | filecheck %s

# Lists and slices: compile-time lists index and slice without ops, concat takes a list
# of tensors, tensor subscripts become model.slice (negative indices and steps kept as
# written), and host run-time subscripts become model.index and model.slice_rows.

model Picker(dim: int) {
    fc = Linear(dim, dim)

    fn forward(x: f32[N, T, dim]) -> f32[N, 3] {
        let sizes = [1, 2, dim]
        let h = fc(x)
        let last = h[:, -1]
        let parts = concat([last[:, :1], last[:, -sizes[1]:]], axis=-1)
        return parts + h[:, 0, ::sizes[2] - 1][:, -1:]
    }
}

let data = dataset("wine")
let head = data[:10]
let mid = data[10:-10]
let xs = [3, 1, 2]
let n = len(data)
let row = data.x[n - 1]
let rows = data.x[2:n - 2]
print(xs[-1], xs[1:], head, mid, row, rows, Picker(4)(randn([2, 5, 4]))[0, -2])

# CHECK-LABEL: model.def @Picker_4 attributes {source = "Picker", hparams = {dim = 4 : i64}} {
# CHECK-NEXT: model.param @fc.weight : tensor<4x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @fc.bias : tensor<4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x?x4xf32>) -> tensor<?x3xf32> {
# CHECK-NEXT: [[FC_WEIGHT:%.*]] = model.get_param @fc.weight : tensor<4x4xf32>
# CHECK-NEXT: [[FC_BIAS:%.*]] = model.get_param @fc.bias : tensor<4xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear %x, [[FC_WEIGHT]], [[FC_BIAS]] {layer = "fc"} : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
# CHECK-NEXT: [[SLICE:%.*]] = model.slice [[LINEAR]] [":", "-1"] : tensor<?x?x4xf32> -> tensor<?x4xf32>
# CHECK-NEXT: [[SLICE2:%.*]] = model.slice [[SLICE]] [":", ":1"] : tensor<?x4xf32> -> tensor<?x1xf32>
# CHECK-NEXT: [[SLICE3:%.*]] = model.slice [[SLICE]] [":", "-2:"] : tensor<?x4xf32> -> tensor<?x2xf32>
# CHECK-NEXT: [[CONCAT:%.*]] = model.concat [[SLICE2]], [[SLICE3]] {axis = -1 : i64} : (tensor<?x1xf32>, tensor<?x2xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: [[SLICE4:%.*]] = model.slice [[LINEAR]] [":", "0", "::3"] : tensor<?x?x4xf32> -> tensor<?x2xf32>
# CHECK-NEXT: [[SLICE5:%.*]] = model.slice [[SLICE4]] [":", "-1:"] : tensor<?x2xf32> -> tensor<?x1xf32>
# CHECK-NEXT: [[ADD:%.*]] = model.add [[CONCAT]], [[SLICE5]] : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: func.return [[ADD]] : tensor<?x3xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[S_WINE:%.*]] = model.str "wine"
# CHECK-NEXT: [[DATASET:%.*]] = model.dataset [[S_WINE]] : !model.str -> !model.dataset
# CHECK-NEXT: [[C10:%.*]] = arith.constant 10 : i64
# CHECK-NEXT: [[SLICE_ROWS:%.*]] = model.slice_rows [[DATASET]] hi([[C10]] : i64) : !model.dataset -> !model.dataset
# CHECK-NEXT: [[C102:%.*]] = arith.constant 10 : i64
# CHECK-NEXT: [[CM10:%.*]] = arith.constant -10 : i64
# CHECK-NEXT: [[SLICE_ROWS2:%.*]] = model.slice_rows [[DATASET]] lo([[C102]] : i64) hi([[CM10]] : i64) : !model.dataset -> !model.dataset
# CHECK-NEXT: [[LEN:%.*]] = model.len [[DATASET]] : !model.dataset -> i64
# CHECK-NEXT: [[DATA_X:%.*]] = model.data_x [[DATASET]] : !model.dataset -> tensor<?x13xf32>
# CHECK-NEXT: [[C1:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[SUB:%.*]] = model.sub [[LEN]], [[C1]] : (i64, i64) -> i64
# CHECK-NEXT: [[INDEX:%.*]] = model.index [[DATA_X]]{{\[}}[[SUB]]{{\]}} : (tensor<?x13xf32>, i64) -> tensor<13xf32>
# CHECK-NEXT: [[DATA_X2:%.*]] = model.data_x [[DATASET]] : !model.dataset -> tensor<?x13xf32>
# CHECK-NEXT: [[C2:%.*]] = arith.constant 2 : i64
# CHECK-NEXT: [[SUB2:%.*]] = model.sub [[LEN]], [[C2]] : (i64, i64) -> i64
# CHECK-NEXT: [[C22:%.*]] = arith.constant 2 : i64
# CHECK-NEXT: [[SLICE_ROWS3:%.*]] = model.slice_rows [[DATA_X2]] lo([[C22]] : i64) hi([[SUB2]] : i64) : tensor<?x13xf32> -> tensor<?x13xf32>
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Picker_4 : !model.model<"Picker_4">
# CHECK-NEXT: [[RANDN:%.*]] = model.randn : tensor<2x5x4xf32>
# CHECK-NEXT: [[CALL:%.*]] = model.call [[INSTANTIATE]] @forward([[RANDN]]) : !model.model<"Picker_4">, (tensor<2x5x4xf32>) -> tensor<2x3xf32>
# CHECK-NEXT: [[SLICE:%.*]] = model.slice [[CALL]] ["0", "-2"] : tensor<2x3xf32> -> tensor<f32>
# CHECK-NEXT: [[C23:%.*]] = arith.constant 2 : i64
# CHECK-NEXT: [[C12:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[C24:%.*]] = arith.constant 2 : i64
# CHECK-NEXT: [[LIST:%.*]] = model.list [[C12]], [[C24]] : (i64, i64) -> !model.list<i64>
# CHECK-NEXT: model.print [[C23]], [[LIST]], [[SLICE_ROWS]], [[SLICE_ROWS2]], [[INDEX]], [[SLICE_ROWS3]], [[SLICE]] : i64, !model.list<i64>, !model.dataset, !model.dataset, tensor<13xf32>, tensor<?x13xf32>, tensor<f32>
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
