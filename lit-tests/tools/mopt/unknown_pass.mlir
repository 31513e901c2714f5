// RUN: not mopt %s -p 'cse,canonicalise' 2>&1 | filecheck %s
// RUN: not mopt %s --pass-pipeline='builtin.module(func.func(nonesuch))' 2>&1 \
// RUN:   | filecheck %s --check-prefix=NESTED
// RUN: not mopt %s --pass-pipeline='func.func(cse)' 2>&1 | filecheck %s --check-prefix=ANCHOR
// RUN: not mopt %s --pass-pipeline='builtin.module(cse' 2>&1 | filecheck %s --check-prefix=SYNTAX

// Pipeline errors point into the pipeline text.

func.func @f() {
  func.return
}

// CHECK:      <pass-pipeline>:1:5: error: unknown pass 'canonicalise'; did you mean 'canonicalize'?
// CHECK-NEXT: cse,canonicalise
// CHECK-NEXT: {{^}}    ^

// NESTED:      <pass-pipeline>:1:26: error: unknown pass 'nonesuch'
// NESTED-NEXT: builtin.module(func.func(nonesuch))
// NESTED-NEXT: {{^}}                         ^

// ANCHOR: <pass-pipeline>:1:1: error: the top-level pipeline must be anchored on 'builtin.module', not 'func.func'

// SYNTAX:      <pass-pipeline>:1:19: error: expected ')', found end of pipeline
