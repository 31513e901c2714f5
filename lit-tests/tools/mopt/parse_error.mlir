// RUN: not mopt %s 2>&1 | filecheck %s
// RUN: not mopt < %s 2>&1 | filecheck %s --check-prefix=STDIN

// A parse error is reported at its line and column, with the line and a caret.

func.func @f(%a: i32) -> i32 {
  %0 = arith.addi %a, %a i32
  func.return %0 : i32
}

// CHECK:      parse_error.mlir:7:26: error: Expected ':'
// CHECK-NEXT: {{^}}  %0 = arith.addi %a, %a i32
// CHECK-NEXT: {{^}}                         ^
// CHECK-NOT:  Traceback

// STDIN: <stdin>:7:26: error: Expected ':'
