# RUN: mopt %s | filecheck %s

# Dtype names are values: cast takes one, and a dtype can be passed to an untyped function
# parameter; tensor types in signatures use every dtype name.

fn convert(x: i64[N], to) -> f32[N] {
    return cast(x, to)
}

fn widths(a: f16[2], b: bf16[2], c: f64[2], d: i32[2], e: i8[2], f: bool[2]) -> f64[2] {
    return cast(a, f64) + cast(b, f64) + c + cast(d, f64) + cast(e, f64) + cast(f, f64)
}

let ids = arange(4)
let flags = ids > 1
print(convert(ids, f32), cast(flags, i64), cast(randn([2]), bf16), cast(ids, i8))
let z = zeros([2])
print(widths(cast(z, f16), cast(z, bf16), cast(z, f64), cast(z, i32), cast(z, i8), cast(z, bool)))

# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[ARANGE:%.*]] = model.arange : tensor<4xi64>
# CHECK-NEXT: [[C1:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[GT:%.*]] = model.gt [[ARANGE]], [[C1]] : (tensor<4xi64>, i64) -> tensor<4xi1>
# CHECK-NEXT: [[CAST:%.*]] = model.cast [[ARANGE]] : tensor<4xi64> -> tensor<4xf32>
# CHECK-NEXT: [[CAST2:%.*]] = model.cast [[GT]] : tensor<4xi1> -> tensor<4xi64>
# CHECK-NEXT: [[RANDN:%.*]] = model.randn : tensor<2xf32>
# CHECK-NEXT: [[CAST3:%.*]] = model.cast [[RANDN]] : tensor<2xf32> -> tensor<2xbf16>
# CHECK-NEXT: [[CAST4:%.*]] = model.cast [[ARANGE]] : tensor<4xi64> -> tensor<4xi8>
# CHECK-NEXT: model.print [[CAST]], [[CAST2]], [[CAST3]], [[CAST4]] : tensor<4xf32>, tensor<4xi64>, tensor<2xbf16>, tensor<4xi8>
# CHECK-NEXT: [[ZEROS:%.*]] = model.zeros : tensor<2xf32>
# CHECK-NEXT: [[CAST5:%.*]] = model.cast [[ZEROS]] : tensor<2xf32> -> tensor<2xf16>
# CHECK-NEXT: [[CAST6:%.*]] = model.cast [[ZEROS]] : tensor<2xf32> -> tensor<2xbf16>
# CHECK-NEXT: [[CAST7:%.*]] = model.cast [[ZEROS]] : tensor<2xf32> -> tensor<2xf64>
# CHECK-NEXT: [[CAST8:%.*]] = model.cast [[ZEROS]] : tensor<2xf32> -> tensor<2xi32>
# CHECK-NEXT: [[CAST9:%.*]] = model.cast [[ZEROS]] : tensor<2xf32> -> tensor<2xi8>
# CHECK-NEXT: [[CAST10:%.*]] = model.cast [[ZEROS]] : tensor<2xf32> -> tensor<2xi1>
# CHECK-NEXT: [[CAST11:%.*]] = model.cast [[CAST5]] : tensor<2xf16> -> tensor<2xf64>
# CHECK-NEXT: [[CAST12:%.*]] = model.cast [[CAST6]] : tensor<2xbf16> -> tensor<2xf64>
# CHECK-NEXT: [[ADD:%.*]] = model.add [[CAST11]], [[CAST12]] : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
# CHECK-NEXT: [[ADD2:%.*]] = model.add [[ADD]], [[CAST7]] : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
# CHECK-NEXT: [[CAST13:%.*]] = model.cast [[CAST8]] : tensor<2xi32> -> tensor<2xf64>
# CHECK-NEXT: [[ADD3:%.*]] = model.add [[ADD2]], [[CAST13]] : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
# CHECK-NEXT: [[CAST14:%.*]] = model.cast [[CAST9]] : tensor<2xi8> -> tensor<2xf64>
# CHECK-NEXT: [[ADD4:%.*]] = model.add [[ADD3]], [[CAST14]] : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
# CHECK-NEXT: [[CAST15:%.*]] = model.cast [[CAST10]] : tensor<2xi1> -> tensor<2xf64>
# CHECK-NEXT: [[ADD5:%.*]] = model.add [[ADD4]], [[CAST15]] : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
# CHECK-NEXT: model.print [[ADD5]] : tensor<2xf64>
# CHECK-NEXT: func.return
# CHECK-NEXT: }
# CHECK-NEXT: }
