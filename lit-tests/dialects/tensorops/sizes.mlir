// RUN: %roundtrip %s | filecheck %s

// Ops with sizes known only at run time: each DYNAMIC_INDEX (-9223372036854775808) in a
// size list is the size of the next source along its axis.

// CHECK-LABEL: func.func @sized
func.func @sized(%x: tensor<?x?x8xf32>, %ids: tensor<?x?xi64>) {
  // CHECK-NEXT: %0 = tensorops.reshape_dynamic %x sizes(%ids, %ids : tensor<?x?xi64>, tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808, -9223372036854775808, 2, 4>, source_axes = array<i64: 0, 1>} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  // CHECK-NEXT: %1 = tensorops.full_dynamic sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808, 8>, source_axes = array<i64: 1>, value = 1.000000e+00 : f64} : tensor<?x8xf32>
  // CHECK-NEXT: %2 = tensorops.slice_dynamic %x sizes(%ids : tensor<?x?xi64>) {starts = array<i64: 0, 0, 0>, stops = array<i64: 9223372036854775807, -9223372036854775808, 9223372036854775807>, steps = array<i64: 1, 1, 2>, source_axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
  %0 = tensorops.reshape_dynamic %x sizes(%ids, %ids : tensor<?x?xi64>, tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808, -9223372036854775808, 2, 4>, source_axes = array<i64: 0, 1>} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %1 = tensorops.full_dynamic sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808, 8>, source_axes = array<i64: 1>, value = 1.000000e+00 : f64} : tensor<?x8xf32>
  %2 = tensorops.slice_dynamic %x sizes(%ids : tensor<?x?xi64>) {starts = array<i64: 0, 0, 0>, stops = array<i64: 9223372036854775807, -9223372036854775808, 9223372036854775807>, steps = array<i64: 1, 1, 2>, source_axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
  func.return
}

// A run-time size computed from its dimension, (d * mul + add) // div: `source_maps` holds
// one mul, add, div triple per source. Static source sizes give static result sizes.

// CHECK-LABEL: func.func @affine
func.func @affine(%x: tensor<?x1x8xf32>, %ids: tensor<?x?xi64>, %s: tensor<6xf32>) {
  // CHECK-NEXT: %0 = tensorops.full_dynamic sizes(%ids, %s : tensor<?x?xi64>, tensor<6xf32>) {static_sizes = array<i64: -9223372036854775808, -9223372036854775808>, source_axes = array<i64: 1, 0>, source_maps = array<i64: 2, 1, 1, 1, 1, 2>, value = 0.000000e+00 : f64} : tensor<?x3xf32>
  // CHECK-NEXT: %1 = tensorops.broadcast_dynamic %x sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -1, -9223372036854775808, 8>, source_axes = array<i64: 1>, source_maps = array<i64: 1, -1, 1>} : tensor<?x1x8xf32> -> tensor<?x?x8xf32>
  %0 = tensorops.full_dynamic sizes(%ids, %s : tensor<?x?xi64>, tensor<6xf32>) {static_sizes = array<i64: -9223372036854775808, -9223372036854775808>, source_axes = array<i64: 1, 0>, source_maps = array<i64: 2, 1, 1, 1, 1, 2>, value = 0.0 : f64} : tensor<?x3xf32>
  %1 = tensorops.broadcast_dynamic %x sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -1, -9223372036854775808, 8>, source_axes = array<i64: 1>, source_maps = array<i64: 1, -1, 1>} : tensor<?x1x8xf32> -> tensor<?x?x8xf32>
  func.return
}
