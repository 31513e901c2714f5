// RUN: mopt %s -p check-lowered --split-input-file --verify-diagnostics -o %t
// RUN: mopt %s -p lower-to-tensor --split-input-file --verify-diagnostics -o %t
// RUN: not mopt %s -p 'check-lowered{level=kernels}' 2>&1 | filecheck %s --check-prefix=LEVEL

// At tensor level a model method holds tensorops, model.get_param, arith.constant and
// func ops only; anything else is an error at its location that names it.

// LEVEL: error: invalid options for pass 'check-lowered': unknown level 'kernels', expected one of tensor

// Tensor-level methods and a host program with model ops are legal.
model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @w : tensor<4xf32> init "ones"(1.000000e+00 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = model.get_param @w : tensor<4xf32>
    %c = arith.constant dense<2.000000e+00> : tensor<f32>
    %y = tensorops.mul %x, %w : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %z = tensorops.add %y, %c : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
    func.return %z : tensor<?x4xf32>
  }
}

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %y = model.relu %x : tensor<2x4xf32> -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}

// -----

// An addition of booleans has no tensor-level form: no lowering handles it.
model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%a: tensor<3xi1>, %b: tensor<3xi1>) -> tensor<3xi1> {
    // expected-error@+1 {{'model.add' op is not legal at tensor level: no lowering handles it (operands: tensor<3xi1>, tensor<3xi1>)}}
    %y = model.add %a, %b : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
    func.return %y : tensor<3xi1>
  }
}

// -----

// Every op left over is reported: the first as the error, the others as notes.
model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%x: tensor<4xi64>, %b: tensor<4xi1>) -> (tensor<4xi64>, tensor<4xi1>) {
    // expected-error@+1 {{'model.pow' op is not legal at tensor level}}
    %y = model.pow %x, %x : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
    // expected-note@+1 {{'model.add' op is not legal at tensor level: no lowering handles it (operands: tensor<4xi1>, tensor<4xi1>)}}
    %r = model.add %b, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
    func.return %y, %r : tensor<4xi64>, tensor<4xi1>
  }
}
