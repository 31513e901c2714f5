// RUN: mopt %s --split-input-file --verify-diagnostics

// The verifier errors of `model.generate`.

// A tokenizer without a prompt.
func.func @f(%m: !model.model<"LM">, %t: !model.tokenizer) {
  // expected-error@+1 {{model.generate: a tokenizer needs text (a string or a list of strings), and gives text of the same type}}
  %0 = model.generate %m, %t : !model.model<"LM">, !model.tokenizer -> !model.str
  func.return
}

// -----

// A list of prompts gives a list of texts, not one.
func.func @f(%m: !model.model<"LM">, %t: !model.tokenizer, %p: !model.list<!model.str>) {
  // expected-error@+1 {{model.generate: a tokenizer needs text (a string or a list of strings), and gives text of the same type}}
  %0 = model.generate %m, %t text(%p : !model.list<!model.str>) : !model.model<"LM">, !model.tokenizer -> !model.str
  func.return
}

// -----

// Ids are i64.
func.func @f(%m: !model.model<"LM">, %x: tensor<?x3xf32>) {
  // expected-error@+1 {{model.generate: ids are i64 tensors in and out, without text}}
  %0 = model.generate %m, %x : !model.model<"LM">, tensor<?x3xf32> -> tensor<?x?xi64>
  func.return
}

// -----

// Ids take no text.
func.func @f(%m: !model.model<"LM">, %x: tensor<?x3xi64>, %p: !model.str) {
  // expected-error@+1 {{model.generate: ids are i64 tensors in and out, without text}}
  %0 = model.generate %m, %x text(%p : !model.str) : !model.model<"LM">, tensor<?x3xi64> -> tensor<?x?xi64>
  func.return
}
