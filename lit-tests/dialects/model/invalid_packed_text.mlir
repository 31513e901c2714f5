// RUN: mopt %s --split-input-file --verify-diagnostics

// The verifier errors of a list indexed by a tensor of indices.

func.func @f(%l: !model.list<!model.str>, %i: tensor<?xi64>) {
  // expected-error@+1 {{model.index: !model.list<!model.str> indexed by tensor<?xi64> is !model.list<!model.str>, not !model.str}}
  %0 = model.index %l[%i] : (!model.list<!model.str>, tensor<?xi64>) -> !model.str
  func.return
}

// -----

func.func @f(%l: !model.list<!model.str>, %i: tensor<2x2xi64>) {
  // expected-error@+1 {{model.index: only a list takes a tensor index, one of integers of rank 0 or 1}}
  %0 = model.index %l[%i] : (!model.list<!model.str>, tensor<2x2xi64>) -> !model.list<!model.str>
  func.return
}

// -----

func.func @f(%l: !model.list<!model.str>, %i: tensor<?xf32>) {
  // expected-error@+1 {{model.index: only a list takes a tensor index, one of integers of rank 0 or 1}}
  %0 = model.index %l[%i] : (!model.list<!model.str>, tensor<?xf32>) -> !model.list<!model.str>
  func.return
}

// -----

func.func @f(%t: tensor<?x4xf32>, %i: tensor<?xi64>) {
  // expected-error@+1 {{model.index: only a list takes a tensor index, one of integers of rank 0 or 1}}
  %0 = model.index %t[%i] : (tensor<?x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  func.return
}

// -----

func.func @f(%l: !model.list<!model.str>, %i: i32) {
  // expected-error@+1 {{model.index: the index must be i64 or a tensor, got i32}}
  %0 = model.index %l[%i] : (!model.list<!model.str>, i32) -> !model.str
  func.return
}
