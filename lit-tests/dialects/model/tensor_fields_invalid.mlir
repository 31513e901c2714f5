// RUN: mopt %s --split-input-file --verify-diagnostics

// The verifier errors of `model.tie`, `model.param`'s `full` init, load_weights and
// load_pretrained.

// expected-error@+1 {{model.tie: @a.weight is tensor<4x4xf32> but @b.weight is tensor<3x4xf32>}}
model.def @M attributes {source = "M", hparams = {}} {
  model.param @a.weight : tensor<4x4xf32> init "zeros"(0.000000e+00 : f64)
  model.param @b.weight : tensor<3x4xf32> init "full"(1.000000e+00 : f64)
  model.tie @a.weight = @b.weight
  func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
    func.return %x : tensor<4xf32>
  }
}

// -----

// expected-error@+1 {{model.tie: no parameter @b.weight in @M}}
model.def @M attributes {source = "M", hparams = {}} {
  model.param @a.weight : tensor<4x4xf32> init "zeros"(0.000000e+00 : f64)
  model.tie @a.weight = @b.weight
  func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
    func.return %x : tensor<4xf32>
  }
}

// -----

// expected-error@+1 {{model.tie: @b is itself tied; tie @c to the parameter it is tied to}}
model.def @M attributes {source = "M", hparams = {}} {
  model.param @a : tensor<4xf32> init "zeros"(0.000000e+00 : f64)
  model.param @b : tensor<4xf32> init "zeros"(0.000000e+00 : f64)
  model.param @c : tensor<4xf32> init "zeros"(0.000000e+00 : f64)
  model.tie @b = @a
  model.tie @c = @b
  func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
    func.return %x : tensor<4xf32>
  }
}

// -----

func.func @f() {
  // expected-error@+1 {{model.tie must be directly inside a model.def}}
  model.tie @a = @b
  func.return
}

// -----

func.func @main(%m: !model.model<"?">, %p: !model.str) {
  // expected-error@+1 {{model.load_weights: rename maps names to string names}}
  model.load_weights %m, %p rename {h = 1 : i64} : !model.model<"?">, !model.str
  func.return
}

// -----

func.func @main(%m: !model.model<"?">, %p: !model.str) {
  // expected-error@+1 {{model.load_pretrained: dtype must be f32, bf16 or f16, got 'f64'}}
  model.load_pretrained %m, %p dtype "f64" : !model.model<"?">, !model.str
  func.return
}
