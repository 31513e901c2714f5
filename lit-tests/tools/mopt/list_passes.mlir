// RUN: mopt --list-passes | filecheck %s

// Every pass with its summary and options, then the named pipelines and what they run.

// CHECK-LABEL: Passes:
// CHECK:       canonicalize {{ +}}Applies all canonicalization patterns.
// CHECK:       cse {{ +}}Eliminates common subexpressions.
// CHECK:       test-crash {{ +}}Test pass: raises RuntimeError(message)
// CHECK-NEXT:  --message=<str> (default: deliberate crash)
// CHECK-LABEL: Pipelines:
// CHECK:       model-cleanup {{ +}}Canonicalizes, then eliminates common subexpressions.
// CHECK-NEXT:  = canonicalize,cse
