// RUN: mopt %s -p 'model-cleanup,func.func(test-statistics)' --dump-pass-pipeline -o %t \
// RUN:   2>&1 | filecheck %s
// RUN: not mopt %s --pass-pipeline='builtin.module(func.func(test-crash))' \
// RUN:   --dump-pass-pipeline --mlir-pass-pipeline-crash-reproducer=%t 2>&1 \
// RUN:   | filecheck %s --check-prefix=OPTIONS

// The pipeline is printed as parsed, named pipelines expanded, every option spelt out.

func.func @f() {
  func.return
}

// CHECK:      Pass Manager with 3 passes:
// CHECK-NEXT: builtin.module(canonicalize,cse,func.func(test-statistics))

// OPTIONS:      Pass Manager with 1 passes:
// OPTIONS-NEXT: builtin.module(func.func(test-crash{message="deliberate crash"}))
