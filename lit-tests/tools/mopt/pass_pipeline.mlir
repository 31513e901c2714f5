// RUN: mopt %s --pass-pipeline='builtin.module(func.func(cse),canonicalize)' | filecheck %s
// RUN: mopt %s --pass-pipeline=' builtin.module( func.func( cse ) , canonicalize ) ' \
// RUN:   | filecheck %s

// A nested pipeline runs on each op of its anchor directly inside the module: the
// function in the inner module is left alone.

builtin.module {
  func.func @twice(%a: i32) -> i32 {
    %0 = arith.addi %a, %a : i32
    %1 = arith.addi %a, %a : i32
    %2 = arith.muli %0, %1 : i32
    func.return %2 : i32
  }
  builtin.module {
    func.func @nested(%a: i32) -> i32 {
      %0 = arith.addi %a, %a : i32
      %1 = arith.addi %a, %a : i32
      %2 = arith.muli %0, %1 : i32
      func.return %2 : i32
    }
  }
}

// CHECK-LABEL: func.func @twice(%a: i32) -> i32 {
// CHECK-NEXT:    [[SUM:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:    [[PRODUCT:%.*]] = arith.muli [[SUM]], [[SUM]] : i32
// CHECK-NEXT:    func.return [[PRODUCT]] : i32

// CHECK-LABEL: func.func @nested(%a: i32) -> i32 {
// CHECK-NEXT:    [[FIRST:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:    [[SECOND:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:    arith.muli [[FIRST]], [[SECOND]] : i32
