// RUN: mopt %s --mlir-print-debuginfo | filecheck %s

// Ops parsed without a location get the one of their text; written ones are kept.

func.func @f(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  func.return %0 : i32 loc("model.m":3:5)
}

// CHECK:      arith.addi %a, %a : i32 loc("{{.*}}print_debuginfo.mlir":6:3)
// CHECK-NEXT: func.return [[SUM:%.*]] : i32 loc("model.m":3:5)
// CHECK-NEXT: } loc("{{.*}}print_debuginfo.mlir":5:1)
