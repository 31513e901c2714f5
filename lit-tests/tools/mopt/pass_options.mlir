// RUN: not mopt %s -p 'test-crash{message="options reach the pass"}' \
// RUN:   --mlir-pass-pipeline-crash-reproducer=%t 2>&1 | filecheck %s
// RUN: not mopt %s -p 'cse,test-crash{note=1}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not mopt %s -p 'cse,test-crash{message=}' 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not mopt %s -p 'cse,test-crash{message="x"' 2>&1 | filecheck %s --check-prefix=UNCLOSED
// RUN: not mopt %s -p 'test-crash{message=3}' 2>&1 | filecheck %s --check-prefix=TYPE
// RUN: not mopt %s -p 'calibrate{samples=1.5}' 2>&1 | filecheck %s --check-prefix=INT
// RUN: not mopt %s -p 'calibrate{percentile=ninety}' 2>&1 | filecheck %s --check-prefix=FLOAT
// RUN: not mopt %s -p 'calibrate{samples=1,2}' 2>&1 | filecheck %s --check-prefix=LIST
// RUN: not mopt %s -p 'calibrate{percentile=0}' 2>&1 | filecheck %s --check-prefix=WHOLE
// RUN: not mopt %S/../../passes/calibrate.mlir -p 'calibrate{dataset=no/such.csv samples=10}' 2>&1 \
// RUN:   | filecheck %s --check-prefix=PATH

// Options in braces reach the pass; unknown or malformed ones are located errors, and a
// value of the wrong kind is named in words. A whole number is a float option's value, and
// a bare path a string, as in MLIR.

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

// TYPE:  <pass-pipeline>:1:1: error: invalid options for pass 'test-crash': option 'message' takes a string, got 3
// INT:   error: invalid options for pass 'calibrate': option 'samples' takes an integer, got 1.5
// FLOAT: error: invalid options for pass 'calibrate': option 'percentile' takes a number, got "ninety"
// LIST:  error: invalid options for pass 'calibrate': option 'samples' takes an integer, got 1, 2
// WHOLE: error: invalid options for pass 'calibrate': percentile must be in (0, 100], got 0.0
// PATH:  error: calibrate: no such data file: 'no/such.csv'
