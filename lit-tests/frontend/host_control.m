# RUN: mopt %s | filecheck %s

# Host `for` over a range and `if` on run-time values become model.for and model.if (a
# loop over a list literal is unrolled: static_control.m); a name assigned with `NAME = e` lives in
# a variable slot (model.set_var / model.get_var), while names bound once stay SSA values.
# A compile-time condition keeps one branch, with no op.

model Net(d: int) {
    fc = Linear(d, 2)

    fn forward(x: f32[N, d]) -> f32[N, 2] {
        return fc(x)
    }
}

let data = dataset("iris")
let net = Net(4)
let best = 0.0
for e in 1..3 {
    let loss = fit(net, data, epochs=e)
    if loss < best or best == 0.0 {
        best = loss
    } else {
        print("worse:", loss)
    }
}
for i in 0..len(data) {
    if i == 0 {
        print("first row")
    }
}
if true {
    print("static")
} else {
    print("never")
}
print("best:", best)

# CHECK-LABEL: model.def @Net_4 attributes {source = "Net", hparams = {d = 4 : i64}} {
# CHECK-NEXT: model.param @fc.weight : tensor<2x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @fc.bias : tensor<2xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
# CHECK-NEXT: [[FC_WEIGHT:%.*]] = model.get_param @fc.weight : tensor<2x4xf32>
# CHECK-NEXT: [[FC_BIAS:%.*]] = model.get_param @fc.bias : tensor<2xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear %x, [[FC_WEIGHT]], [[FC_BIAS]] {layer = "fc"} : (tensor<?x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<?x2xf32>
# CHECK-NEXT: func.return [[LINEAR]] : tensor<?x2xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[S_IRIS:%.*]] = model.str "iris"
# CHECK-NEXT: [[DATASET:%.*]] = model.dataset [[S_IRIS]] : !model.str -> !model.dataset
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Net_4 : !model.model<"Net_4">
# CHECK-NEXT: [[F:%.*]] = arith.constant 0.000000e+00 : f64
# CHECK-NEXT: model.set_var "best", [[F]] : f64
# CHECK-NEXT: [[C1:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[C3:%.*]] = arith.constant 3 : i64
# CHECK-NEXT: [[EPOCHS:%.*]] = model.range [[C1]], [[C3]] : !model.list<i64>
# CHECK-NEXT: model.for [[EPOCHS]] : !model.list<i64> {
# CHECK-NEXT: ^bb0(%e: i64):
# CHECK-NEXT: [[FIT:%.*]] = model.fit [[INSTANTIATE]], [[DATASET]] epochs(%e : i64) : !model.model<"Net_4">, !model.dataset -> f64
# CHECK-NEXT: [[GET_VAR:%.*]] = model.get_var "best" : f64
# CHECK-NEXT: [[LT:%.*]] = model.lt [[FIT]], [[GET_VAR]] : (f64, f64) -> i1
# CHECK-NEXT: [[GET_VAR2:%.*]] = model.get_var "best" : f64
# CHECK-NEXT: [[F2:%.*]] = arith.constant 0.000000e+00 : f64
# CHECK-NEXT: [[EQ:%.*]] = model.eq [[GET_VAR2]], [[F2]] : (f64, f64) -> i1
# CHECK-NEXT: [[OR:%.*]] = model.or [[LT]], [[EQ]] : (i1, i1) -> i1
# CHECK-NEXT: model.if [[OR]] {
# CHECK-NEXT: model.set_var "best", [[FIT]] : f64
# CHECK-NEXT: model.yield
# CHECK-NEXT: } else {
# CHECK-NEXT: [[S_WORSE:%.*]] = model.str "worse:"
# CHECK-NEXT: model.print [[S_WORSE]], [[FIT]] : !model.str, f64
# CHECK-NEXT: model.yield
# CHECK-NEXT: }
# CHECK-NEXT: model.yield
# CHECK-NEXT: }
# CHECK-NEXT: [[LEN:%.*]] = model.len [[DATASET]] : !model.dataset -> i64
# CHECK-NEXT: [[C0:%.*]] = arith.constant 0 : i64
# CHECK-NEXT: [[RANGE:%.*]] = model.range [[C0]], [[LEN]] : !model.list<i64>
# CHECK-NEXT: model.for [[RANGE]] : !model.list<i64> {
# CHECK-NEXT: ^bb0(%i: i64):
# CHECK-NEXT: [[C02:%.*]] = arith.constant 0 : i64
# CHECK-NEXT: [[EQ2:%.*]] = model.eq %i, [[C02]] : (i64, i64) -> i1
# CHECK-NEXT: model.if [[EQ2]] {
# CHECK-NEXT: [[S_FIRST_ROW:%.*]] = model.str "first row"
# CHECK-NEXT: model.print [[S_FIRST_ROW]] : !model.str
# CHECK-NEXT: model.yield
# CHECK-NEXT: } else {
# CHECK-NEXT: model.yield
# CHECK-NEXT: }
# CHECK-NEXT: model.yield
# CHECK-NEXT: }
# CHECK-NEXT: [[S_STATIC:%.*]] = model.str "static"
# CHECK-NEXT: model.print [[S_STATIC]] : !model.str
# CHECK-NEXT: [[GET_VAR3:%.*]] = model.get_var "best" : f64
# CHECK-NEXT: [[S_BEST:%.*]] = model.str "best:"
# CHECK-NEXT: model.print [[S_BEST]], [[GET_VAR3]] : !model.str, f64
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
