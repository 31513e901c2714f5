// RUN: not mopt %s --split-input-file 2>%t.err | filecheck %s
// RUN: filecheck %s --input-file=%t.err --check-prefix=ERR

// Each chunk is compiled on its own: an error in one does not stop the next, and
// diagnostics give the line in this file.

func.func @first() {
  func.return
}

// -----

func.func @broken() {
  %0 = arith.constant 1 : i32
  func.return %0 : i32
}

// -----

func.func @last() {
  func.return
}

// CHECK:      func.func @first()
// CHECK:      // -----
// CHECK-NEXT: builtin.module {
// CHECK-NEXT:   func.func @last()
// CHECK-NOT:  @broken

// ERR:      split_input_file.mlir:15:3: error: 'func.return' op Expected arguments to have the same types as the function output types
// ERR-NEXT: {{^}}  func.return %0 : i32
// ERR-NEXT: {{^}}  ^
