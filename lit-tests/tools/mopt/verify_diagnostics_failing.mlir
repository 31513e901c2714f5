// RUN: not mopt %s --split-input-file --verify-diagnostics -o %t 2>&1 | filecheck %s

// A missing diagnostic and an unexpected one both fail the run, each reported where it is.

func.func @quiet(%a: i32) -> i32 {
  // expected-error@+1 {{this never happens}}
  func.return %a : i32
}

// -----

func.func @loud() {
  %0 = arith.constant 1 : i32
  func.return %0 : i32
}

// -----

func.func @wrong_text() {
  %0 = arith.constant 1 : i32
  func.return %0 : i32  // expected-error {{some other message}}
}

// CHECK:      verify_diagnostics_failing.mlir:6:6: error: expected error "this never happens" was not produced
// CHECK-NEXT: // expected-{{error}}@+1
// CHECK:      verify_diagnostics_failing.mlir:14:3: error: unexpected error: 'func.return' op Expected arguments
// CHECK-NEXT: {{^}}  func.return %0 : i32
// CHECK-NEXT: {{^}}  ^
// CHECK:      verify_diagnostics_failing.mlir:21:3: error: unexpected error: 'func.return' op Expected arguments
// CHECK:      verify_diagnostics_failing.mlir:21:28: error: expected error "some other message" was not produced
