// RUN: mopt %s --pass-pipeline='builtin.module(canonicalize,func.func(cse))' \
// RUN:   --mlir-print-ir-after-all -o %t 2>&1 | filecheck %s

// Module passes dump the module; a nested pass dumps the op it ran on.

func.func @twice(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}

// CHECK:      // -----// IR Dump After Canonicalize (canonicalize) //----- //
// CHECK-NEXT: builtin.module {
// CHECK-NEXT:   func.func @twice(%a: i32) -> i32 {
// CHECK-NEXT:     [[FIRST:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:     [[SECOND:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:     arith.muli [[FIRST]], [[SECOND]] : i32
// CHECK:      // -----// IR Dump After CommonSubexpressionElimination (cse) ('func.func' operation: @twice) //----- //
// CHECK-NEXT: func.func @twice(%a: i32) -> i32 {
// CHECK-NEXT:   [[SUM:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:   arith.muli [[SUM]], [[SUM]] : i32
