// RUN: %roundtrip %s | filecheck %s

// The indexing and reshaping ops of the `model` dialect (M 0.2), printed in their custom
// format, reparsed from the generic format and printed again: the output must equal the
// input line for line.

// CHECK-LABEL: func.func @indexing(%x: tensor<?x4x6xf32>, %ids: tensor<?x4x2xi64>, %p: tensor<?x4x1xf32>) {
func.func @indexing(%x: tensor<?x4x6xf32>, %ids: tensor<?x4x2xi64>, %p: tensor<?x4x1xf32>) {
  // CHECK-NEXT: %0 = model.tril %x {k = 0 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  %0 = model.tril %x {k = 0 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  // CHECK-NEXT: %1 = model.triu %x {k = -1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  %1 = model.triu %x {k = -1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  // CHECK-NEXT: %2 = model.erf %x : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  %2 = model.erf %x : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  // CHECK-NEXT: %3 = model.cumsum %x {axis = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  %3 = model.cumsum %x {axis = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x6xf32>
  // CHECK-NEXT: %4, %5 = model.topk %x {k = 2 : i64, axis = -1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x2xf32>, tensor<?x4x2xi64>
  %4, %5 = model.topk %x {k = 2 : i64, axis = -1 : i64} : tensor<?x4x6xf32> -> tensor<?x4x2xf32>, tensor<?x4x2xi64>
  // CHECK-NEXT: %6 = model.gather %x[%ids] {axis = 2 : i64} : (tensor<?x4x6xf32>, tensor<?x4x2xi64>) -> tensor<?x4x2xf32>
  %6 = model.gather %x[%ids] {axis = 2 : i64} : (tensor<?x4x6xf32>, tensor<?x4x2xi64>) -> tensor<?x4x2xf32>
  // CHECK-NEXT: %7 = model.unsqueeze %x {axis = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x1x4x6xf32>
  %7 = model.unsqueeze %x {axis = 1 : i64} : tensor<?x4x6xf32> -> tensor<?x1x4x6xf32>
  // CHECK-NEXT: %8 = model.squeeze %7 {axis = 1 : i64} : tensor<?x1x4x6xf32> -> tensor<?x4x6xf32>
  %8 = model.squeeze %7 {axis = 1 : i64} : tensor<?x1x4x6xf32> -> tensor<?x4x6xf32>
  // CHECK-NEXT: %9 = model.expand %p array<i64: -1, 4, 6> : tensor<?x4x1xf32> -> tensor<?x4x6xf32>
  %9 = model.expand %p array<i64: -1, 4, 6> : tensor<?x4x1xf32> -> tensor<?x4x6xf32>
  // CHECK-NEXT: %10 = model.repeat_interleave %x {axis = 2 : i64, n = 2 : i64} : tensor<?x4x6xf32> -> tensor<?x4x12xf32>
  %10 = model.repeat_interleave %x {axis = 2 : i64, n = 2 : i64} : tensor<?x4x6xf32> -> tensor<?x4x12xf32>
  // CHECK-NEXT: %11 = model.pad %x array<i64: 1, 2, 0, -1> {value = 5.000000e-01 : f64} : tensor<?x4x6xf32> -> tensor<?x3x9xf32>
  %11 = model.pad %x array<i64: 1, 2, 0, -1> {value = 5.000000e-01 : f64} : tensor<?x4x6xf32> -> tensor<?x3x9xf32>
  // CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}
