// RUN: mopt %s -p 'canonicalize,cse,test-statistics' --mlir-print-ir-before=cse \
// RUN:   --mlir-print-ir-before=test-statistics -o %t 2>&1 | filecheck %s
// RUN: mopt %s -p 'canonicalize,cse,test-statistics' --mlir-print-ir-before=cse,test-statistics \
// RUN:   -o %t 2>&1 | filecheck %s
// RUN: not mopt %s -p cse --mlir-print-ir-before=cse,no-such-pass 2>&1 \
// RUN:   | filecheck %s --check-prefix=UNKNOWN

// Dumps before the named passes only; the option repeats or takes a comma list. A name
// that no pass has is an error, as in MLIR, rather than a dump that silently never comes.

// UNKNOWN: error: --mlir-print-ir-before: unknown pass 'no-such-pass' (see --list-passes)

func.func @twice(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}

// CHECK-NOT:  IR Dump Before Canonicalize
// CHECK:      // -----// IR Dump Before CommonSubexpressionElimination (cse) //----- //
// CHECK-NEXT: builtin.module {
// CHECK-NEXT:   func.func @twice(%a: i32) -> i32 {
// CHECK-NEXT:     arith.addi
// CHECK-NEXT:     arith.addi
// CHECK:      // -----// IR Dump Before TestStatistics (test-statistics) //----- //
// CHECK-NEXT: builtin.module {
// CHECK-NEXT:   func.func @twice(%a: i32) -> i32 {
// CHECK-NEXT:     arith.addi
// CHECK-NEXT:     arith.muli
// CHECK-NOT:  IR Dump
