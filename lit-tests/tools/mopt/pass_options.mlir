// RUN: not mopt %s -p 'test-crash{message="options reach the pass"}' \
// RUN:   --mlir-pass-pipeline-crash-reproducer=%t 2>&1 | filecheck %s
// RUN: not mopt %s -p 'cse,test-crash{note=1}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not mopt %s -p 'cse,test-crash{message=}' 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not mopt %s -p 'cse,test-crash{message="x"' 2>&1 | filecheck %s --check-prefix=UNCLOSED

// Options in braces reach the pass; unknown or malformed ones are located errors.

func.func @f() {
  func.return
}

// CHECK: internal error: pass 'test-crash' failed: RuntimeError: options reach the pass

// UNKNOWN:      <pass-pipeline>:1:5: error: invalid options for pass 'test-crash': Provided arguments ["note"] not found
// UNKNOWN-NEXT: cse,test-crash{note=1}
// UNKNOWN-NEXT: {{^}}    ^

// SYNTAX:      <pass-pipeline>:1:24: error: invalid options for pass 'test-crash': Unknown argument value
// SYNTAX-NEXT: cse,test-crash{message=}
// SYNTAX-NEXT: {{^}}                       ^

// UNCLOSED:      <pass-pipeline>:1:15: error: unterminated option list: missing '}'
