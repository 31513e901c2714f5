// RUN: mopt %s --print-op-generic | filecheck %s

func.func @f(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  func.return %0 : i32
}

// CHECK:      "builtin.module"() ({
// CHECK-NEXT:   "func.func"() <{sym_name = "f", function_type = (i32) -> i32}> ({
// CHECK-NEXT:   ^bb0(%a: i32):
// CHECK-NEXT:     [[SUM:%.*]] = "arith.addi"(%a, %a) <{overflowFlags = #arith.overflow<none>}> : (i32, i32) -> i32
// CHECK-NEXT:     "func.return"([[SUM]]) : (i32) -> ()
