// RUN: mopt %s --split-input-file --verify-diagnostics

// The verifier errors of the text and table ops.

// tokenize of a data set names no column.
func.func @f(%t: !model.tokenizer, %d: !model.dataset) {
  // expected-error@+1 {{model.tokenize: a data set needs column and no pairs}}
  %0 = model.tokenize %t, %d : !model.tokenizer, !model.dataset -> !model.dataset
  func.return
}

// -----

// Texts that are neither a list of strings nor a column.
func.func @f(%t: !model.tokenizer, %x: !model.list<i64>) {
  // expected-error@+1 {{model.tokenize: texts must be !model.list<!model.str> or a !model.column}}
  %0 = model.tokenize %t, %x : !model.tokenizer, !model.list<i64> -> !model.record
  func.return
}

// -----

// standardize returns one data set per argument.
func.func @f(%a: !model.dataset, %b: !model.dataset) {
  // expected-error@+1 {{model.standardize: one data set out per data set in}}
  %0 = model.standardize %a, %b : !model.dataset, !model.dataset -> !model.dataset
  func.return
}

// -----

// load takes target or no_target, not both.
func.func @f(%p: !model.str) {
  // expected-error@+1 {{model.load: no_target and target exclude each other}}
  %0 = model.load %p target(%p : !model.str) no_target : !model.str -> !model.dataset
  func.return
}
