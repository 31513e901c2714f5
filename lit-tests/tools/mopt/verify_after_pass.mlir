// RUN: mopt %s -p 'canonicalize,func.func(cse)' --mlir-print-debuginfo | filecheck %s

// The module is verified after parsing and after each pass; ops keep their locations
// through passes (canonicalize erased the unused first sum).

func.func @f(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  func.return %1 : i32
}

// CHECK:      [[SUM:%.*]] = arith.addi %a, %a : i32 loc("{{.*}}verify_after_pass.mlir":8:3)
// CHECK-NEXT: func.return [[SUM]] : i32 loc("{{.*}}verify_after_pass.mlir":9:3)
