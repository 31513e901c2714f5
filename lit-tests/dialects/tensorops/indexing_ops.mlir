// RUN: %roundtrip %s | filecheck %s

// The indexing tensorops (cumsum, topk, take_along, pad) round-trip.

// CHECK-LABEL: func.func @indexing(%x: tensor<?x4xf32>, %i: tensor<?x2xi64>, %n: tensor<3x4xi32>) {
func.func @indexing(%x: tensor<?x4xf32>, %i: tensor<?x2xi64>, %n: tensor<3x4xi32>) {
  // CHECK-NEXT: %0 = tensorops.cumsum %x axis 1 : tensor<?x4xf32>
  %0 = tensorops.cumsum %x axis 1 : tensor<?x4xf32>
  // CHECK-NEXT: %1 = tensorops.cumsum %n axis 0 : tensor<3x4xi32>
  %1 = tensorops.cumsum %n axis 0 : tensor<3x4xi32>
  // CHECK-NEXT: %2, %3 = tensorops.topk %x k 2 axis 1 : tensor<?x4xf32> -> tensor<?x2xf32>, tensor<?x2xi64>
  %2, %3 = tensorops.topk %x k 2 axis 1 : tensor<?x4xf32> -> tensor<?x2xf32>, tensor<?x2xi64>
  // CHECK-NEXT: %4 = tensorops.take_along %x[%i] axis 1 : tensor<?x4xf32>, tensor<?x2xi64> -> tensor<?x2xf32>
  %4 = tensorops.take_along %x[%i] axis 1 : tensor<?x4xf32>, tensor<?x2xi64> -> tensor<?x2xf32>
  // CHECK-NEXT: %5 = tensorops.pad %x low [0, 1] high [0, -2] value 1.500000e+00 : tensor<?x4xf32> -> tensor<?x3xf32>
  %5 = tensorops.pad %x low [0, 1] high [0, -2] value 1.500000e+00 : tensor<?x4xf32> -> tensor<?x3xf32>
  // CHECK-NEXT: func.return
  func.return
// CHECK-NEXT: }
}
