// RUN: mopt %s -p 'canonicalize,cse,test-statistics' --mlir-print-ir-after-change -o %t 2>&1 \
// RUN:   | filecheck %s
// RUN: mopt %s -p 'canonicalize,cse,test-statistics' --mlir-print-ir-after-change \
// RUN:   --mlir-print-ir-after=canonicalize -o %t 2>&1 | filecheck %s --check-prefix=NONE --allow-empty

// Only passes that changed the IR dump it: here cse, not canonicalize or test-statistics.

func.func @twice(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}

// CHECK-NOT:  IR Dump After Canonicalize
// CHECK:      // -----// IR Dump After CommonSubexpressionElimination (cse) //----- //
// CHECK-NEXT: builtin.module {
// CHECK-NOT:  IR Dump

// NONE-NOT: IR Dump
