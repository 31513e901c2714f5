// RUN: %roundtrip | filecheck %s

// Custom format, generic format and custom format again print the same IR.

func.func @f(%a: i32, %b: i32) -> (i32, i1) {
  %sum = arith.addi %a, %b : i32
  %cmp = arith.cmpi slt, %sum, %b : i32
  func.return %sum, %cmp : i32, i1
}

// CHECK-LABEL: func.func @f(%a: i32, %b: i32) -> (i32, i1) {
// CHECK-NEXT:    %sum = arith.addi %a, %b : i32
// CHECK-NEXT:    %cmp = arith.cmpi slt, %sum, %b : i32
// CHECK-NEXT:    func.return %sum, %cmp : i32, i1
