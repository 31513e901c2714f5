// RUN: mopt %s --print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: mopt %s --print-op-generic | mopt | filecheck %s

// Infinities and NaNs print as the hexadecimal bits of the float, as in MLIR, and read
// back as those bits: a causal mask's -inf survives the generic form (it once came back
// as 4.28657869e+09, the bits read as an integer). Integers in hexadecimal stay integers.

func.func @f() -> (tensor<3xf32>, tensor<f64>, tensor<2xi32>) {
  %mask = arith.constant dense<[0xFF800000, 1.5, 0x7FC00000]> : tensor<3xf32>
  %inf = arith.constant dense<0x7FF0000000000000> : tensor<f64>
  %ints = arith.constant dense<[0x10, 3]> : tensor<2xi32>
  func.return %mask, %inf, %ints : tensor<3xf32>, tensor<f64>, tensor<2xi32>
}

// GENERIC: value = dense<[0xff800000, 1.500000e+00, 0x7fc00000]> : tensor<3xf32>
// GENERIC: value = dense<0x7ff0000000000000> : tensor<f64>

// CHECK: arith.constant dense<[0xff800000, 1.500000e+00, 0x7fc00000]> : tensor<3xf32>
// CHECK: arith.constant dense<0x7ff0000000000000> : tensor<f64>
// CHECK: arith.constant dense<[16, 3]> : tensor<2xi32>
