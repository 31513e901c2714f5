// RUN: mopt %s | filecheck %s
// RUN: printf '' | mopt | filecheck %s
// RUN: printf 'func.func @f() {\n  func.return\n}\n// -----\n' > %t.mlir
// RUN: mopt --split-input-file %t.mlir | filecheck %s --check-prefix=SPLIT

// Input with no ops (empty, or only comments) is an empty module, as for mlir-opt;
// so is an empty chunk after the last '// -----'.

// CHECK:      builtin.module {
// CHECK-NEXT: }

// SPLIT:      func.func @f()
// SPLIT:      // -----
// SPLIT-NEXT: builtin.module {
// SPLIT-NEXT: }
