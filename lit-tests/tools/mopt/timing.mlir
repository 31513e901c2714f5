// RUN: mopt %s --pass-pipeline='builtin.module(func.func(cse),canonicalize)' --mlir-timing \
// RUN:   -o %t 2>&1 | filecheck %s

// One row per pass in pipeline order, nested passes under their pipeline, then a total.

func.func @f(%a: i32) -> i32 {
  func.return %a : i32
}

// CHECK:      ===-------------------------------------------------------------------------===
// CHECK-NEXT: ... Execution time report ...
// CHECK-NEXT: ===-------------------------------------------------------------------------===
// CHECK-NEXT:   Total Execution Time: {{[0-9]+\.[0-9]+}} seconds
// CHECK-EMPTY:
// CHECK-NEXT:   ----Wall Time----  ----Name----
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]+}} ({{ *[0-9.]+}}%)  Parser
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]+}} ({{ *[0-9.]+}}%)  Verifier
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]+}} ({{ *[0-9.]+}}%)  'func.func' Pipeline
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]+}} ({{ *[0-9.]+}}%)    cse
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]+}} ({{ *[0-9.]+}}%)  canonicalize
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]+}} ({{ *[0-9.]+}}%)  Output
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]+}} ({{ *[0-9.]+}}%)  Rest
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]+}} (100.0%)  Total
