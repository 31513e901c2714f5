# RUN: mopt %s | filecheck %s

# The training options of M 0.2 section 6 and checkpoints (section 10) are optional
# operands of model.fit; plot is model.plot.

model Net() = Linear(4, 3)

let (train, val) = split(dataset("iris"), 0.8)
let net = Net()
fit(net, train, val=val, metric="loss", patience=2, schedule="cosine", warmup=10, clip=1.0, accumulate=4, log="log.csv", precision="bf16", checkpoint="ckpt", checkpoint_every=5, resume=true)
plot("log.csv", "curves.png")

# CHECK-LABEL: func.func @main()
# CHECK:      [[NET:%.*]] = model.instantiate @Net : !model.model<"Net">
# CHECK-NEXT: [[METRIC:%.*]] = model.str "loss"
# CHECK-NEXT: [[PATIENCE:%.*]] = arith.constant 2 : i64
# CHECK-NEXT: [[SCHEDULE:%.*]] = model.str "cosine"
# CHECK-NEXT: [[WARMUP:%.*]] = arith.constant 10 : i64
# CHECK-NEXT: [[CLIP:%.*]] = arith.constant 1.000000e+00 : f64
# CHECK-NEXT: [[ACCUMULATE:%.*]] = arith.constant 4 : i64
# CHECK-NEXT: [[LOG:%.*]] = model.str "log.csv"
# CHECK-NEXT: [[PRECISION:%.*]] = model.str "bf16"
# CHECK-NEXT: [[CKPT:%.*]] = model.str "ckpt"
# CHECK-NEXT: [[EVERY:%.*]] = arith.constant 5 : i64
# CHECK-NEXT: [[RESUME:%.*]] = arith.constant true
# CHECK-NEXT: model.fit [[NET]], %{{.*}} val(%{{.*}} : !model.dataset) metric([[METRIC]] : !model.str) patience([[PATIENCE]] : i64) schedule([[SCHEDULE]] : !model.str) warmup([[WARMUP]] : i64) clip([[CLIP]] : f64) accumulate([[ACCUMULATE]] : i64) log([[LOG]] : !model.str) precision([[PRECISION]] : !model.str) checkpoint([[CKPT]] : !model.str) checkpoint_every([[EVERY]] : i64) resume([[RESUME]] : i1) : !model.model<"Net">, !model.dataset -> f64
# CHECK-NEXT: [[CSV:%.*]] = model.str "log.csv"
# CHECK-NEXT: [[PNG:%.*]] = model.str "curves.png"
# CHECK-NEXT: model.plot [[CSV]], [[PNG]] : !model.str, !model.str
# CHECK-NEXT: func.return
