// RUN: mopt %s --split-input-file --verify-diagnostics

func.func @no_yield(%x: tensor<4xf32>) {
  %0 = "kernel.pointwise"(%x) ({
  ^bb0(%a: tensor<4xf32>):
    // expected-error@+1 {{Operation tensorops.exp terminates block in single-block region but is not a terminator}}
    %e = tensorops.exp %a : tensor<4xf32>
  }) : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

func.func @argument_types(%x: tensor<4xf32>) {
  // expected-error@+1 {{kernel.pointwise: block argument types must match the inputs}}
  %0 = kernel.pointwise(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<5xf32>):
    %e = tensorops.exp %a : tensor<5xf32>
    kernel.yield %e : tensor<5xf32>
  }
  func.return
}

// -----

func.func @not_elementwise(%x: tensor<4x4xf32>) {
  // expected-error@+1 {{kernel.pointwise: 'tensorops.matmul' cannot run inside a pointwise kernel}}
  %0 = kernel.pointwise(%x) : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>):
    %m = tensorops.matmul %a, %a : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    kernel.yield %m : tensor<4x4xf32>
  }
  func.return
}

// -----

func.func @block_sizes(%x: tensor<4xf32>) {
  // expected-error@+1 {{kernel.pointwise: block_sizes must be 1 powers of two (BLOCK)}}
  %0 = kernel.pointwise(%x) block_sizes [100] : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %e = tensorops.exp %a : tensor<4xf32>
    kernel.yield %e : tensor<4xf32>
  }
  func.return
}

// -----

func.func @reduction_axis(%x: tensor<4x5xf32>) {
  // expected-error@+1 {{kernel.reduction: reductions must reduce the last axis only}}
  %0 = kernel.reduction(%x) : (tensor<4x5xf32>) -> tensor<5xf32> {
  ^bb0(%a: tensor<4x5xf32>):
    %s = tensorops.reduce_sum %a axes [0] : tensor<4x5xf32> -> tensor<5xf32>
    kernel.yield %s : tensor<5xf32>
  }
  func.return
}

// -----

// A sum without keepdim is one value per row: adding it to full rows would broadcast
// it along the rows instead (NumPy aligns it with the columns).
func.func @reduction_mixes_rows(%x: tensor<4x4xf32>) {
  // expected-error@+1 {{kernel.reduction: 'tensorops.add' mixes reduced rows without keepdim with full rows}}
  %0 = kernel.reduction(%x) : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>):
    %s = tensorops.reduce_sum %a axes [1] : tensor<4x4xf32> -> tensor<4xf32>
    %y = tensorops.add %a, %s : tensor<4x4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    kernel.yield %y : tensor<4x4xf32>
  }
  func.return
}

// -----

func.func @two_products(%x: tensor<4x4xf32>) {
  // expected-error@+1 {{kernel.matmul: must hold exactly one tensorops.matmul, found 2}}
  %0 = kernel.matmul(%x) : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>):
    %m = tensorops.matmul %a, %a : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    %n = tensorops.matmul %m, %a : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    kernel.yield %n : tensor<4x4xf32>
  }
  func.return
}

// -----

func.func @not_attention(%q: tensor<2x5x4xf32>, %kt: tensor<2x4x6xf32>, %v: tensor<2x6x3xf32>) {
  // expected-error@+1 {{kernel.attention: must end with softmax(scores) times V}}
  %0 = kernel.attention(%q, %kt, %v) : (tensor<2x5x4xf32>, tensor<2x4x6xf32>, tensor<2x6x3xf32>) -> tensor<2x5x3xf32> {
  ^bb0(%a: tensor<2x5x4xf32>, %b: tensor<2x4x6xf32>, %c: tensor<2x6x3xf32>):
    %s = tensorops.matmul %a, %b : tensor<2x5x4xf32>, tensor<2x4x6xf32> -> tensor<2x5x6xf32>
    %o = tensorops.matmul %s, %c : tensor<2x5x6xf32>, tensor<2x6x3xf32> -> tensor<2x5x3xf32>
    kernel.yield %o : tensor<2x5x3xf32>
  }
  func.return
}

// -----

func.func @extern_two_ops(%x: tensor<4xf32>) {
  // expected-error@+1 {{kernel.extern: must hold exactly one op (besides constants it reads)}}
  %0 = kernel.extern(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %e = tensorops.exp %a : tensor<4xf32>
    %f = tensorops.exp %e : tensor<4xf32>
    kernel.yield %f : tensor<4xf32>
  }
  func.return
}

// -----

func.func @yield_outside(%x: tensor<4xf32>) {
  // expected-error@+1 {{'kernel.yield' expects parent op to be one of}}
  kernel.yield %x : tensor<4xf32>
}
