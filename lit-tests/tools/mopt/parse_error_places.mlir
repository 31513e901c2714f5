// RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

// Parse errors that xDSL raises after the text they are about point back at it: a dense
// literal that does not fit its type (they pointed at the next line), and an input that
// ends inside a region (the message was empty).

func.func @f() {
  %0 = tensorops.constant dense<[1, 2, 3]> : tensor<2xi64>
  func.return
}

// CHECK:      parse_error_places.mlir:8:32: error: Shape mismatch in dense literal. Expected [2] shape from the type, but got [3] shape.
// CHECK-NEXT: {{^}}  %0 = tensorops.constant dense<[1, 2, 3]> : tensor<2xi64>

// -----

// CHECK:      error: the input ends inside a region: a '}' is missing
builtin.module {
  func.func @g() {
    func.return
  }
