// RUN: mopt %s -p cse | filecheck %s
// RUN: mopt %s -p 'func.func(cse)' | filecheck %s
// RUN: mopt %s -p 'canonicalize, func.func(cse,canonicalize)' | filecheck %s

// `-p a,b` is `--pass-pipeline='builtin.module(a,b)'`; it takes nested pipelines too.

func.func @twice(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}

// CHECK-LABEL: func.func @twice(%a: i32) -> i32 {
// CHECK-NEXT:    [[SUM:%.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:    [[PRODUCT:%.*]] = arith.muli [[SUM]], [[SUM]] : i32
// CHECK-NEXT:    func.return [[PRODUCT]] : i32
