// RUN: mopt %s -t mlir -o %t
// RUN: filecheck %s --input-file=%t
// RUN: not mopt %s -o %t.missing/out.mlir 2>&1 | filecheck %s --check-prefix=UNWRITABLE

func.func @f() {
  func.return
}

// CHECK-LABEL: func.func @f() {
// CHECK-NEXT:    func.return

// UNWRITABLE: error: cannot write output file '{{.*}}.missing/out.mlir': No such file or directory
