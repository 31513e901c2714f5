// RUN: mopt %s -p 'canonicalize,cse,test-statistics' --mlir-print-ir-after=cse -o %t 2>&1 \
// RUN:   | filecheck %s
// RUN: mopt %s -p 'cse' --mlir-print-ir-after=cse --print-op-generic -o %t 2>&1 \
// RUN:   | filecheck %s --check-prefix=GENERIC

// Dumps after the named passes only, printed as the output is (here generic).

func.func @twice(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}

// CHECK-NOT:  IR Dump After Canonicalize
// CHECK:      // -----// IR Dump After CommonSubexpressionElimination (cse) //----- //
// CHECK-NEXT: builtin.module {
// CHECK-NEXT:   func.func @twice(%a: i32) -> i32 {
// CHECK-NEXT:     [[SUM:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:     arith.muli [[SUM]], [[SUM]] : i32
// CHECK-NOT:  IR Dump

// GENERIC:      // -----// IR Dump After CommonSubexpressionElimination (cse) //----- //
// GENERIC-NEXT: "builtin.module"() ({
