// RUN: mopt %s --split-input-file --verify-diagnostics -o %t

// Every annotation is matched by a diagnostic on its line, and every diagnostic is expected.

func.func @ok(%a: i32) -> i32 {
  func.return %a : i32
}

// -----

func.func @wrong_result() {
  %0 = arith.constant 1 : i32
  // expected-error@+1 {{Expected arguments to have the same types as the function output}}
  func.return %0 : i32
}

// -----

func.func @wrong_operand(%a: i32, %b: i64) -> i32 {
  %0 = "arith.addi"(%a, %b) : (i32, i64) -> i32 // expected-error {{does not verify}}
  func.return %0 : i32
}

// -----

func.func @undefined(%a: i32) -> i32 {
  %0 = arith.addi %a, %b : i32
  // expected-error@above {{use of undefined value '%b'}}
  func.return %0 : i32
}

// -----

func.func @no_terminator() -> i32 {
  // expected-error@below {{terminates block in single-block region but is not a terminator}}
  %0 = arith.constant 1 : i32
}

// -----

func.func @not_last() {
  // expected-error@below {{must be the last operation in its parent block}}
  func.return
  func.return
}

// -----

// MLIR's verifier also allows spaces before the '@'.
func.func @spaced() {
  %0 = arith.constant 1 : i32
  // expected-error @+1 {{Expected arguments to have the same types as the function output}}
  func.return %0 : i32
}
