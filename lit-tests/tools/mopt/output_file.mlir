// RUN: mopt %s -t mlir -o %t
// RUN: filecheck %s --input-file=%t
// RUN: not mopt %s -o %t.missing/out.mlir 2>&1 | filecheck %s --check-prefix=UNWRITABLE
// RUN: not mopt %s -p no-such-pass -o %t 2>/dev/null
// RUN: not mopt %S/parse_error.mlir -o %t 2>/dev/null
// RUN: filecheck %s --input-file=%t

func.func @f() {
  func.return
}

// CHECK-LABEL: func.func @f() {
// CHECK-NEXT:    func.return

// A failed run leaves the output file as it was, as mlir-opt does.

// UNWRITABLE: error: cannot write output file '{{.*}}.missing/out.mlir': No such file or directory
