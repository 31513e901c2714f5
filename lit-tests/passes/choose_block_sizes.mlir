// RUN: mopt %s -p choose-block-sizes --split-input-file | filecheck %s
// RUN: mopt %s -p 'choose-block-sizes{autotune=true}' --split-input-file | filecheck %s --check-prefix=TUNE
// RUN: mopt %s -p 'choose-block-sizes{interpreter=true}' --split-input-file | filecheck %s --check-prefix=INTERP

// Pointwise: small static outputs (185 elements) get small blocks; unknown sizes count as large.
// Reduction: a whole row in BLOCK_C (37 -> 64), about 4096 elements per program.
// Matmul: 64 x 64 x 32 tiles, at least 16.

// CHECK-LABEL: func.func @sizes
// CHECK:         kernel.pointwise(%x) block_sizes [256] :
// CHECK:         kernel.pointwise(%d) block_sizes [1024] :
// CHECK:         kernel.reduction(%x) block_sizes [8, 64] :
// CHECK:         kernel.matmul(%x, %w) block_sizes [16, 16, 32] :
// TUNE-LABEL:  func.func @sizes
// TUNE:          kernel.pointwise(%x) block_sizes [256] autotune :
// INTERP-LABEL: func.func @sizes
// INTERP:        kernel.pointwise(%d) block_sizes [8192] :
// INTERP:        kernel.matmul(%x, %w) block_sizes [16, 16, 64] :
func.func @sizes(%x: tensor<5x37xf32>, %d: tensor<?x100xf32>, %w: tensor<37x3xf32>) -> (tensor<5x37xf32>, tensor<?x100xf32>, tensor<5x1xf32>, tensor<5x3xf32>) {
  %a = kernel.pointwise(%x) : (tensor<5x37xf32>) -> tensor<5x37xf32> {
  ^bb0(%0: tensor<5x37xf32>):
    %1 = tensorops.exp %0 : tensor<5x37xf32>
    kernel.yield %1 : tensor<5x37xf32>
  }
  %b = kernel.pointwise(%d) : (tensor<?x100xf32>) -> tensor<?x100xf32> {
  ^bb0(%0: tensor<?x100xf32>):
    %1 = tensorops.exp %0 : tensor<?x100xf32>
    kernel.yield %1 : tensor<?x100xf32>
  }
  %c = kernel.reduction(%x) : (tensor<5x37xf32>) -> tensor<5x1xf32> {
  ^bb0(%0: tensor<5x37xf32>):
    %1 = tensorops.reduce_max %0 axes [1] keepdim : tensor<5x37xf32> -> tensor<5x1xf32>
    kernel.yield %1 : tensor<5x1xf32>
  }
  %m = kernel.matmul(%x, %w) : (tensor<5x37xf32>, tensor<37x3xf32>) -> tensor<5x3xf32> {
  ^bb0(%0: tensor<5x37xf32>, %1: tensor<37x3xf32>):
    %2 = tensorops.matmul %0, %1 : tensor<5x37xf32>, tensor<37x3xf32> -> tensor<5x3xf32>
    kernel.yield %2 : tensor<5x3xf32>
  }
  func.return %a, %b, %c, %m : tensor<5x37xf32>, tensor<?x100xf32>, tensor<5x1xf32>, tensor<5x3xf32>
}

// -----

// Sizes already chosen are kept.

// CHECK-LABEL: func.func @kept
// CHECK:         kernel.pointwise(%x) block_sizes [128] :
func.func @kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = kernel.pointwise(%x) block_sizes [128] : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%0: tensor<4xf32>):
    %1 = tensorops.exp %0 : tensor<4xf32>
    kernel.yield %1 : tensor<4xf32>
  }
  func.return %a : tensor<4xf32>
}

// -----

// An int8 product's BLOCK_K is at least 32 (Hopper's integer wgmma needs K >= 32), a
// float one's at least 16; autotuning never halves it below that.

// CHECK-LABEL: func.func @int8_k
// CHECK:         kernel.matmul(%q, %w) block_sizes [16, 16, 32] :
// CHECK:         kernel.matmul(%x, %v) block_sizes [16, 16, 16] :
func.func @int8_k(%q: tensor<5x8xi8>, %w: tensor<8x3xi8>, %x: tensor<5x8xf32>, %v: tensor<8x3xf32>) -> (tensor<5x3xi32>, tensor<5x3xf32>) {
  %a = kernel.matmul(%q, %w) : (tensor<5x8xi8>, tensor<8x3xi8>) -> tensor<5x3xi32> {
  ^bb0(%0: tensor<5x8xi8>, %1: tensor<8x3xi8>):
    %2 = tensorops.matmul %0, %1 : tensor<5x8xi8>, tensor<8x3xi8> -> tensor<5x3xi32>
    kernel.yield %2 : tensor<5x3xi32>
  }
  %b = kernel.matmul(%x, %v) : (tensor<5x8xf32>, tensor<8x3xf32>) -> tensor<5x3xf32> {
  ^bb0(%0: tensor<5x8xf32>, %1: tensor<8x3xf32>):
    %2 = tensorops.matmul %0, %1 : tensor<5x8xf32>, tensor<8x3xf32> -> tensor<5x3xf32>
    kernel.yield %2 : tensor<5x3xf32>
  }
  func.return %a, %b : tensor<5x3xi32>, tensor<5x3xf32>
}
