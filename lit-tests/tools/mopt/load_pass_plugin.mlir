// RUN: mopt %s --load-pass-plugin=%S/../../../examples/plugins/div_to_mul.py -p div-to-mul \
// RUN:   | filecheck %s
// RUN: mopt %s --load-pass-plugin=%S/../../../examples/plugins/div_to_mul.py \
// RUN:   --pass-pipeline='builtin.module(func.func(div-to-mul{exact=false}))' \
// RUN:   | filecheck %s --check-prefix=INEXACT
// RUN: mopt %s --load-pass-plugin=%S/../../../examples/plugins/div_to_mul.py \
// RUN:   -p div-to-mul,canonicalize --mlir-print-ir-after-all 2>&1 >/dev/null \
// RUN:   | filecheck %s --check-prefix=AFTER
// RUN: mopt %s --load-pass-plugin=%S/../../../examples/plugins/div_to_mul.py \
// RUN:   -p canonicalize,div-to-mul --mlir-print-ir-after=div-to-mul 2>&1 >/dev/null \
// RUN:   | filecheck %s --check-prefix=AFTER-ONE
// RUN: mopt --load-pass-plugin=%S/../../../examples/plugins/div_to_mul.py --list-passes \
// RUN:   | filecheck %s --check-prefix=LIST

// The example plugin of examples/plugins/ adds `div-to-mul` to the registry of the
// built-in passes: -p, --pass-pipeline (nested too), options, the IR printing flags
// and --list-passes take it as one of mlang's own.

func.func @quarter(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = tensorops.constant dense<4.0> : tensor<f32>
  %y = tensorops.div %x, %c : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  func.return %y : tensor<2x3xf32>
}

func.func @third(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = tensorops.constant dense<3.0> : tensor<f32>
  %y = tensorops.div %x, %c : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  func.return %y : tensor<2x3xf32>
}

func.func @by_tensor(%x: tensor<2x3xf32>, %d: tensor<3xf32>) -> tensor<2x3xf32> {
  %y = tensorops.div %x, %d : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  func.return %y : tensor<2x3xf32>
}

// A power of two: x / 4 is x * 0.25 bit for bit.
// CHECK-LABEL: func.func @quarter
// CHECK:         [[R:%.*]] = tensorops.constant dense<2.500000e-01> : tensor<f32>
// CHECK-NEXT:    [[Y:%.*]] = tensorops.mul %x, [[R]] : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
// CHECK-NEXT:    func.return [[Y]]

// 1/3 is not exact: the division stays, unless exact=false.
// CHECK-LABEL: func.func @third
// CHECK-NOT:     tensorops.mul
// CHECK:         %y = tensorops.div %x, %c
// CHECK-LABEL: func.func @by_tensor
// CHECK-NEXT:    %y = tensorops.div %x, %d

// INEXACT-LABEL: func.func @third
// INEXACT:         [[R:%.*]] = tensorops.constant dense<0.333333343> : tensor<f32>
// INEXACT-NEXT:    [[Y:%.*]] = tensorops.mul %x, [[R]]
// INEXACT-LABEL: func.func @by_tensor
// INEXACT-NEXT:    tensorops.div %x, %d

// AFTER:      // -----// IR Dump After DivToMul (div-to-mul) //----- //
// AFTER:      tensorops.mul
// AFTER:      // -----// IR Dump After Canonicalize (canonicalize) //----- //

// AFTER-ONE-NOT: IR Dump After Canonicalize
// AFTER-ONE:     // -----// IR Dump After DivToMul (div-to-mul) //----- //

// LIST:      div-to-mul {{ +}}Rewrites division by a float constant as multiplication by its reciprocal. (from plugin {{.*}}div_to_mul.py)
// LIST-NEXT:   --exact=<bool> (default: true)
