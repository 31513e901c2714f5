# RUN: mopt %s | filecheck %s

# The host functions of the spec, each with its op; keyword arguments not given are
# absent operands (the runtime applies the defaults), and a quantized model keeps the
# definition of the original.

model Net(d: int) {
    fc = Linear(d, 3)

    fn forward(x: f32[N, d]) -> f32[N, 3] {
        return fc(x)
    }
}

seed(42)
let data = load("rows.csv", target="label")
let npz = load("rows.npz")
let (train, test) = split(data, 0.8)
let net = Net(4)
let loss = fit(net, train)
let tuned = fit(net, train, loss="mse", optimizer="adamw", lr=0.01, epochs=3, batch=8,
                freeze=["fc"], weight_decay=0.1)
let acc = evaluate(net, test)
let out = predict(net, test.x)
let weight = quantize(net, "int8")
let dynamic = quantize(net, "int8", mode="dynamic")
let static = quantize(net, "int8", mode="static", calibrate=train)
save(static, "net.mpk")
let back = load_model("net.mpk")
load_weights(net, "net.safetensors")
summary(back)
print(len(test), params(net), test.y, back(out), predict(back, npz), loss, tuned, acc)

# CHECK-LABEL: model.def @Net_4 attributes {source = "Net", hparams = {d = 4 : i64}} {
# CHECK-NEXT: model.param @fc.weight : tensor<3x4xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: model.param @fc.bias : tensor<3xf32> init "uniform"({{.*}} : f64)
# CHECK-NEXT: func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
# CHECK-NEXT: [[FC_WEIGHT:%.*]] = model.get_param @fc.weight : tensor<3x4xf32>
# CHECK-NEXT: [[FC_BIAS:%.*]] = model.get_param @fc.bias : tensor<3xf32>
# CHECK-NEXT: [[LINEAR:%.*]] = model.linear %x, [[FC_WEIGHT]], [[FC_BIAS]] {layer = "fc"} : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
# CHECK-NEXT: func.return [[LINEAR]] : tensor<?x3xf32>
# CHECK-NEXT: }
# CHECK-NEXT: }
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[C42:%.*]] = arith.constant 42 : i64
# CHECK-NEXT: model.seed [[C42]] : i64
# CHECK-NEXT: [[S_ROWS_CSV:%.*]] = model.str "rows.csv"
# CHECK-NEXT: [[S_LABEL:%.*]] = model.str "label"
# CHECK-NEXT: [[LOAD:%.*]] = model.load [[S_ROWS_CSV]] target([[S_LABEL]] : !model.str) : !model.str -> !model.dataset
# CHECK-NEXT: [[S_ROWS_NPZ:%.*]] = model.str "rows.npz"
# CHECK-NEXT: [[LOAD2:%.*]] = model.load [[S_ROWS_NPZ]] : !model.str -> !model.dataset
# CHECK-NEXT: [[F:%.*]] = arith.constant 8.000000e-01 : f64
# CHECK-NEXT: [[SPLIT:%.*]] = model.split [[LOAD]], [[F]] : !model.dataset, f64 -> tuple<!model.dataset, !model.dataset>
# CHECK-NEXT: [[C0:%.*]] = arith.constant 0 : i64
# CHECK-NEXT: [[INDEX:%.*]] = model.index [[SPLIT]]{{\[}}[[C0]]{{\]}} : (tuple<!model.dataset, !model.dataset>, i64) -> !model.dataset
# CHECK-NEXT: [[C1:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[INDEX2:%.*]] = model.index [[SPLIT]]{{\[}}[[C1]]{{\]}} : (tuple<!model.dataset, !model.dataset>, i64) -> !model.dataset
# CHECK-NEXT: [[INSTANTIATE:%.*]] = model.instantiate @Net_4 : !model.model<"Net_4">
# CHECK-NEXT: [[FIT:%.*]] = model.fit [[INSTANTIATE]], [[INDEX]] : !model.model<"Net_4">, !model.dataset -> f64
# CHECK-NEXT: [[S_MSE:%.*]] = model.str "mse"
# CHECK-NEXT: [[S_ADAMW:%.*]] = model.str "adamw"
# CHECK-NEXT: [[F2:%.*]] = arith.constant 1.000000e-02 : f64
# CHECK-NEXT: [[C3:%.*]] = arith.constant 3 : i64
# CHECK-NEXT: [[C8:%.*]] = arith.constant 8 : i64
# CHECK-NEXT: [[S_FC:%.*]] = model.str "fc"
# CHECK-NEXT: [[LIST:%.*]] = model.list [[S_FC]] : (!model.str) -> !model.list<!model.str>
# CHECK-NEXT: [[F3:%.*]] = arith.constant 1.000000e-01 : f64
# CHECK-NEXT: [[FIT2:%.*]] = model.fit [[INSTANTIATE]], [[INDEX]] loss([[S_MSE]] : !model.str) optimizer([[S_ADAMW]] : !model.str) lr([[F2]] : f64) epochs([[C3]] : i64) batch([[C8]] : i64) freeze([[LIST]] : !model.list<!model.str>) weight_decay([[F3]] : f64) : !model.model<"Net_4">, !model.dataset -> f64
# CHECK-NEXT: [[EVALUATE:%.*]] = model.evaluate [[INSTANTIATE]], [[INDEX2]] : !model.model<"Net_4">, !model.dataset -> f64
# CHECK-NEXT: [[DATA_X:%.*]] = model.data_x [[INDEX2]] : !model.dataset -> tensor<?x?xf32>
# CHECK-NEXT: [[PREDICT:%.*]] = model.predict [[INSTANTIATE]], [[DATA_X]] : !model.model<"Net_4">, tensor<?x?xf32> -> tensor<?x3xf32>
# CHECK-NEXT: [[S_INT8:%.*]] = model.str "int8"
# CHECK-NEXT: [[QUANTIZE:%.*]] = model.quantize [[INSTANTIATE]], [[S_INT8]] : !model.model<"Net_4">, !model.str -> !model.model<"Net_4">
# CHECK-NEXT: [[S_INT82:%.*]] = model.str "int8"
# CHECK-NEXT: [[S_DYNAMIC:%.*]] = model.str "dynamic"
# CHECK-NEXT: [[QUANTIZE2:%.*]] = model.quantize [[INSTANTIATE]], [[S_INT82]] mode([[S_DYNAMIC]] : !model.str) : !model.model<"Net_4">, !model.str -> !model.model<"Net_4">
# CHECK-NEXT: [[S_INT83:%.*]] = model.str "int8"
# CHECK-NEXT: [[S_STATIC:%.*]] = model.str "static"
# CHECK-NEXT: [[QUANTIZE3:%.*]] = model.quantize [[INSTANTIATE]], [[S_INT83]] mode([[S_STATIC]] : !model.str) calibrate([[INDEX]] : !model.dataset) : !model.model<"Net_4">, !model.str -> !model.model<"Net_4">
# CHECK-NEXT: [[S_NET_MPK:%.*]] = model.str "net.mpk"
# CHECK-NEXT: model.save [[QUANTIZE3]], [[S_NET_MPK]] : !model.model<"Net_4">, !model.str
# CHECK-NEXT: [[S_NET_MPK2:%.*]] = model.str "net.mpk"
# CHECK-NEXT: [[LOAD_MODEL:%.*]] = model.load_model [[S_NET_MPK2]] : !model.str -> !model.model<"?">
# CHECK-NEXT: [[S_NET_SAFETENS:%.*]] = model.str "net.safetensors"
# CHECK-NEXT: model.load_weights [[INSTANTIATE]], [[S_NET_SAFETENS]] : !model.model<"Net_4">, !model.str
# CHECK-NEXT: model.summary [[LOAD_MODEL]] : !model.model<"?">
# CHECK-NEXT: [[LEN:%.*]] = model.len [[INDEX2]] : !model.dataset -> i64
# CHECK-NEXT: [[PARAMS:%.*]] = model.params [[INSTANTIATE]] : !model.model<"Net_4"> -> i64
# CHECK-NEXT: [[DATA_Y:%.*]] = model.data_y [[INDEX2]] : !model.dataset -> tensor<?xf32>
# CHECK-NEXT: [[CALL:%.*]] = model.call [[LOAD_MODEL]] @forward([[PREDICT]]) : !model.model<"?">, (tensor<?x3xf32>) -> tensor<*xf32>
# CHECK-NEXT: [[PREDICT2:%.*]] = model.predict [[LOAD_MODEL]], [[LOAD2]] : !model.model<"?">, !model.dataset -> tensor<*xf32>
# CHECK-NEXT: model.print [[LEN]], [[PARAMS]], [[DATA_Y]], [[CALL]], [[PREDICT2]], [[FIT]], [[FIT2]], [[EVALUATE]] : i64, i64, tensor<?xf32>, tensor<*xf32>, tensor<*xf32>, f64, f64, f64
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
