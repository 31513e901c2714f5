// RUN: mopt %s -p merge-qkv --split-input-file | filecheck %s

// Three projections of %x (q: 8, k: 8, v: 4 outputs) become one product with the
// weights and biases concatenated, and a slice per projection.

// CHECK-LABEL: func.func @qkv
// CHECK-DAG:     [[W:%[a-z_0-9]+]] = tensorops.concat %wq, %wk, %wv axis 0 : tensor<8x6xf32>, tensor<8x6xf32>, tensor<4x6xf32> -> tensor<20x6xf32>
// CHECK-DAG:     [[WT:%[a-z_0-9]+]] = tensorops.transpose [[W]] [1, 0] : tensor<20x6xf32> -> tensor<6x20xf32>
// CHECK-DAG:     [[M:%[a-z_0-9]+]] = tensorops.matmul %x, [[WT]] : tensor<?x5x6xf32>, tensor<6x20xf32> -> tensor<?x5x20xf32>
// CHECK-DAG:     [[B:%[a-z_0-9]+]] = tensorops.concat %bq, %bk, %bv axis 0
// CHECK-DAG:     [[Y:%[a-z_0-9]+]] = tensorops.add [[M]], [[B]]
// CHECK-DAG:     [[Q:%[a-z_0-9]+]] = tensorops.slice [[Y]][:, :, :8]
// CHECK-DAG:     [[K:%[a-z_0-9]+]] = tensorops.slice [[Y]][:, :, 8:16]
// CHECK-DAG:     [[V:%[a-z_0-9]+]] = tensorops.slice [[Y]][:, :, 16:20]
// CHECK:         func.return [[Q]], [[K]], [[V]]
// CHECK-NOT:     tensorops.matmul
func.func @qkv(%x: tensor<?x5x6xf32>, %wq: tensor<8x6xf32>, %bq: tensor<8xf32>, %wk: tensor<8x6xf32>, %bk: tensor<8xf32>, %wv: tensor<4x6xf32>, %bv: tensor<4xf32>) -> (tensor<?x5x8xf32>, tensor<?x5x8xf32>, tensor<?x5x4xf32>) {
  %0 = tensorops.transpose %wq [1, 0] : tensor<8x6xf32> -> tensor<6x8xf32>
  %1 = tensorops.matmul %x, %0 : tensor<?x5x6xf32>, tensor<6x8xf32> -> tensor<?x5x8xf32>
  %q = tensorops.add %1, %bq : tensor<?x5x8xf32>, tensor<8xf32> -> tensor<?x5x8xf32>
  %2 = tensorops.transpose %wk [1, 0] : tensor<8x6xf32> -> tensor<6x8xf32>
  %3 = tensorops.matmul %x, %2 : tensor<?x5x6xf32>, tensor<6x8xf32> -> tensor<?x5x8xf32>
  %k = tensorops.add %3, %bk : tensor<?x5x8xf32>, tensor<8xf32> -> tensor<?x5x8xf32>
  %4 = tensorops.transpose %wv [1, 0] : tensor<4x6xf32> -> tensor<6x4xf32>
  %5 = tensorops.matmul %x, %4 : tensor<?x5x6xf32>, tensor<6x4xf32> -> tensor<?x5x4xf32>
  %v = tensorops.add %5, %bv : tensor<?x5x4xf32>, tensor<4xf32> -> tensor<?x5x4xf32>
  func.return %q, %k, %v : tensor<?x5x8xf32>, tensor<?x5x8xf32>, tensor<?x5x4xf32>
}

// -----

// Projections of different inputs, or one with a bias and one without, stay apart.

// CHECK-LABEL: func.func @apart
// CHECK-NOT:     tensorops.concat
// CHECK-COUNT-3: tensorops.matmul
func.func @apart(%x: tensor<3x6xf32>, %y: tensor<3x6xf32>, %w: tensor<8x6xf32>, %b: tensor<8xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>) {
  %0 = tensorops.transpose %w [1, 0] : tensor<8x6xf32> -> tensor<6x8xf32>
  %1 = tensorops.matmul %x, %0 : tensor<3x6xf32>, tensor<6x8xf32> -> tensor<3x8xf32>
  %2 = tensorops.add %1, %b : tensor<3x8xf32>, tensor<8xf32> -> tensor<3x8xf32>
  %3 = tensorops.transpose %w [1, 0] : tensor<8x6xf32> -> tensor<6x8xf32>
  %4 = tensorops.matmul %x, %3 : tensor<3x6xf32>, tensor<6x8xf32> -> tensor<3x8xf32>
  %5 = tensorops.transpose %w [1, 0] : tensor<8x6xf32> -> tensor<6x8xf32>
  %6 = tensorops.matmul %y, %5 : tensor<3x6xf32>, tensor<6x8xf32> -> tensor<3x8xf32>
  func.return %2, %4, %6 : tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>
}
