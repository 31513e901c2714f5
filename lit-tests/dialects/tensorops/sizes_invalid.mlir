// RUN: mopt %s --split-input-file --verify-diagnostics

// Two run-time sizes and one source.
func.func @f(%x: tensor<?x8xf32>, %ids: tensor<?x?xi64>) {
  // expected-error@+1 {{tensorops.reshape_dynamic: 2 run-time sizes need as many sources and axes, got 1 and 1}}
  %0 = tensorops.reshape_dynamic %x sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808, -9223372036854775808, 8>, source_axes = array<i64: 0>} : tensor<?x8xf32> -> tensor<?x?x8xf32>
  func.return
}

// -----

// An axis outside the source's rank.
func.func @f(%ids: tensor<?x?xi64>) {
  // expected-error@+1 {{tensorops.full_dynamic: axis 2 is out of range for rank 2}}
  %0 = tensorops.full_dynamic sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808>, source_axes = array<i64: 2>, value = 0.0 : f64} : tensor<?xf32>
  func.return
}

// -----

// A static size that the result type contradicts.
func.func @f(%x: tensor<?x8xf32>, %ids: tensor<?x?xi64>) {
  // expected-error@+1 {{tensorops.reshape_dynamic: result type tensor<?x3xf32> does not match the inferred type tensor<?x8xf32>}}
  %0 = tensorops.reshape_dynamic %x sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808, 8>, source_axes = array<i64: 0>} : tensor<?x8xf32> -> tensor<?x3xf32>
  func.return
}

// -----

// A run-time bound without its source.
func.func @f(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{tensorops.slice_dynamic: 1 run-time bounds need as many sources and axes}}
  %0 = tensorops.slice_dynamic %x sizes() {starts = array<i64: 0, 0>, stops = array<i64: -9223372036854775808, 8>, steps = array<i64: 1, 1>, source_axes = array<i64>} : tensor<?x8xf32> -> tensor<?x8xf32>
  func.return
}

// -----

// A source map whose divisor is not positive.
func.func @f(%ids: tensor<?x?xi64>) {
  // expected-error@+1 {{tensorops.full_dynamic: source_maps needs a mul, add, positive div triple for each of 1 sources}}
  %0 = tensorops.full_dynamic sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808>, source_axes = array<i64: 1>, source_maps = array<i64: 1, 0, 0>, value = 0.0 : f64} : tensor<?xf32>
  func.return
}

// -----

// A static input size that the broadcast's sizes contradict.
func.func @f(%x: tensor<?x2x8xf32>, %ids: tensor<?x?xi64>) {
  // expected-error@+1 {{tensorops.broadcast_dynamic: cannot broadcast size 2 to 3}}
  %0 = tensorops.broadcast_dynamic %x sizes(%ids : tensor<?x?xi64>) {static_sizes = array<i64: -9223372036854775808, 3, 8>, source_axes = array<i64: 0>} : tensor<?x2x8xf32> -> tensor<?x3x8xf32>
  func.return
}
