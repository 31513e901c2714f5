// RUN: mopt %s -p model-cleanup | filecheck %s
// RUN: mopt %s -p model-cleanup --mlir-print-ir-after-all -o %t 2>&1 \
// RUN:   | filecheck %s --check-prefix=PASSES
// RUN: not mopt %s -p 'model-cleanup{x=1}' 2>&1 | filecheck %s --check-prefix=OPTIONS

// A named pipeline stands for its passes (model-cleanup = canonicalize,cse).

func.func @twice(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}

// CHECK-LABEL: func.func @twice(%a: i32) -> i32 {
// CHECK-NEXT:    [[SUM:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:    arith.muli [[SUM]], [[SUM]] : i32

// PASSES:     IR Dump After Canonicalize (canonicalize)
// PASSES:     IR Dump After CommonSubexpressionElimination (cse)

// OPTIONS: <pass-pipeline>:1:1: error: pipeline 'model-cleanup' takes no options
