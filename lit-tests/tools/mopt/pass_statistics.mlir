// RUN: mopt %s -p 'test-statistics,func.func(test-statistics),cse' --mlir-pass-statistics \
// RUN:   -o %t 2>&1 | filecheck %s

// Counters are credited to each place of a pass in the pipeline; runs of a nested pass on
// each function add up.

func.func @f(%a: i32) -> i32 {
  func.return %a : i32
}

func.func @g() {
  %0 = arith.constant 1 : i32
  func.return
}

// CHECK:      ===-------------------------------------------------------------------------===
// CHECK-NEXT: ... Pass statistics report ...
// CHECK-NEXT: ===-------------------------------------------------------------------------===
// CHECK-NEXT: 'test-statistics'
// CHECK-NEXT:   (S) 6 num-ops - Number of operations visited
// CHECK-NEXT:   (S) 3 num-blocks - Number of blocks visited
// CHECK-NEXT: 'func.func' Pipeline
// CHECK-NEXT:   'test-statistics'
// CHECK-NEXT:     (S) 5 num-ops - Number of operations visited
// CHECK-NEXT:     (S) 2 num-blocks - Number of blocks visited
// CHECK-NEXT: 'cse'
