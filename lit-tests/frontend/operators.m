# RUN: mopt %s | filecheck %s

# Every operator at its precedence, from lowest to highest: |>, or, and, not, comparisons,
# + -, * / @, unary -, **, then calls, fields and subscripts. Parenthesised groups show
# the structure that the model ops must have.

fn prec(a: f32[N, 4], b: f32[N, 4], w: f32[4, 4]) -> f32[N, 4] {
    # a + (b * (a ** 2))
    let s = a + b * a ** 2
    # (-(a ** 2)) - ((a @ w) / b)
    let t = -a ** 2 - a @ w / b
    # (s |> relu) applied after the sum: relu(s + t)
    return s + t |> relu
}

fn logic(a: f32[N, 4], b: f32[N, 4]) -> bool[N, 4] {
    # (a < b) or ((a == b) and (not (a >= 1.0)))
    return a < b or a == b and not a >= 1.0
}

fn compare(a: f32[N, 4], b: f32[N, 4]) -> bool[N, 4] {
    let ne = a != b
    let le = a <= b
    return ne and le and a > b
}

fn host_math(n: int) -> float {
    # folded at compile time when n is known: 2 ** 3 * 2 - 10 / 4
    return 2 ** n * 2 - 10 / 4
}

let x = randn([2, 4])
print(prec(x, x, randn([4, 4])), logic(x, x), compare(x, x), host_math(3))

# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[RANDN:%.*]] = model.randn : tensor<2x4xf32>
# CHECK-NEXT: [[RANDN2:%.*]] = model.randn : tensor<4x4xf32>
# CHECK-NEXT: [[C2:%.*]] = arith.constant 2 : i64
# CHECK-NEXT: [[POW:%.*]] = model.pow [[RANDN]], [[C2]] : (tensor<2x4xf32>, i64) -> tensor<2x4xf32>
# CHECK-NEXT: [[MUL:%.*]] = model.mul [[RANDN]], [[POW]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
# CHECK-NEXT: [[ADD:%.*]] = model.add [[RANDN]], [[MUL]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
# CHECK-NEXT: [[C22:%.*]] = arith.constant 2 : i64
# CHECK-NEXT: [[POW2:%.*]] = model.pow [[RANDN]], [[C22]] : (tensor<2x4xf32>, i64) -> tensor<2x4xf32>
# CHECK-NEXT: [[NEG:%.*]] = model.neg [[POW2]] : tensor<2x4xf32> -> tensor<2x4xf32>
# CHECK-NEXT: [[MATMUL:%.*]] = model.matmul [[RANDN]], [[RANDN2]] : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
# CHECK-NEXT: [[DIV:%.*]] = model.div [[MATMUL]], [[RANDN]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
# CHECK-NEXT: [[SUB:%.*]] = model.sub [[NEG]], [[DIV]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
# CHECK-NEXT: [[ADD2:%.*]] = model.add [[ADD]], [[SUB]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
# CHECK-NEXT: [[RELU:%.*]] = model.relu [[ADD2]] : tensor<2x4xf32> -> tensor<2x4xf32>
# CHECK-NEXT: [[LT:%.*]] = model.lt [[RANDN]], [[RANDN]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xi1>
# CHECK-NEXT: [[EQ:%.*]] = model.eq [[RANDN]], [[RANDN]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xi1>
# CHECK-NEXT: [[F:%.*]] = arith.constant 1.000000e+00 : f64
# CHECK-NEXT: [[GE:%.*]] = model.ge [[RANDN]], [[F]] : (tensor<2x4xf32>, f64) -> tensor<2x4xi1>
# CHECK-NEXT: [[NOT:%.*]] = model.not [[GE]] : tensor<2x4xi1> -> tensor<2x4xi1>
# CHECK-NEXT: [[AND:%.*]] = model.and [[EQ]], [[NOT]] : (tensor<2x4xi1>, tensor<2x4xi1>) -> tensor<2x4xi1>
# CHECK-NEXT: [[OR:%.*]] = model.or [[LT]], [[AND]] : (tensor<2x4xi1>, tensor<2x4xi1>) -> tensor<2x4xi1>
# CHECK-NEXT: [[NE:%.*]] = model.ne [[RANDN]], [[RANDN]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xi1>
# CHECK-NEXT: [[LE:%.*]] = model.le [[RANDN]], [[RANDN]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xi1>
# CHECK-NEXT: [[AND2:%.*]] = model.and [[NE]], [[LE]] : (tensor<2x4xi1>, tensor<2x4xi1>) -> tensor<2x4xi1>
# CHECK-NEXT: [[GT:%.*]] = model.gt [[RANDN]], [[RANDN]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xi1>
# CHECK-NEXT: [[AND3:%.*]] = model.and [[AND2]], [[GT]] : (tensor<2x4xi1>, tensor<2x4xi1>) -> tensor<2x4xi1>
# CHECK-NEXT: [[F2:%.*]] = arith.constant 1.350000e+01 : f64
# CHECK-NEXT: model.print [[RELU]], [[OR]], [[AND3]], [[F2]] : tensor<2x4xf32>, tensor<2x4xi1>, tensor<2x4xi1>, f64
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
