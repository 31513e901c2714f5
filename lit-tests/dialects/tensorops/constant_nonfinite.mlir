// Constants holding inf or NaN print as hex bytes, which parse back exactly.
// Only the custom format round-trips them: xDSL's generic printer writes such elements
// as hex integers, which its parser reads as (finite) numbers.
// RUN: mopt %s | mopt | filecheck %s

// CHECK-LABEL: func.func @nonfinite
func.func @nonfinite() {
  // CHECK-NEXT: %0 = tensorops.constant dense<"0x000080FF"> : tensor<4x4xf32>
  // CHECK-NEXT: %1 = tensorops.constant dense<"0x0000807F0000C07F0000803F"> : tensor<3xf32>
  // CHECK-NEXT: %2 = tensorops.constant dense<"0x80FF"> : tensor<bf16>
  %0 = tensorops.constant dense<"0x000080FF"> : tensor<4x4xf32>
  %1 = tensorops.constant dense<"0x0000807F0000C07F0000803F"> : tensor<3xf32>
  %2 = tensorops.constant dense<"0x80FF"> : tensor<bf16>
  func.return
}
