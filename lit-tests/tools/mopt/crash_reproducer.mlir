// RUN: not mopt %s -p 'cse,func.func(test-crash{message="boom"})' \
// RUN:   --mlir-pass-pipeline-crash-reproducer=%t.repro.mlir 2>&1 | filecheck %s
// RUN: filecheck %s --input-file=%t.repro.mlir --check-prefix=REPRO
// RUN: not mopt %t.repro.mlir --run-reproducer \
// RUN:   --mlir-pass-pipeline-crash-reproducer=%t.again.mlir 2>&1 | filecheck %s
// RUN: rm -rf %t.dir && mkdir -p %t.dir
// RUN: env TMPDIR=%t.dir not mopt %s -p 'test-crash' 2>&1 | filecheck %s --check-prefix=TEMP
// RUN: not mopt %s -p 'test-crash{message="say \"hi\" \\ ok"}' \
// RUN:   --mlir-pass-pipeline-crash-reproducer=%t.quoted.mlir 2>&1 | filecheck %s --check-prefix=QUOTED
// RUN: not mopt %t.quoted.mlir --run-reproducer 2>&1 | filecheck %s --check-prefix=QUOTED

// A crashing pass is an internal error at the op it ran on; a string option with quotes
// and backslashes replays as it was given. The reproducer holds the IR
// before its top-level pass (here after cse), with locations, and that pass to rerun.

func.func @crash(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}

// CHECK:      crash_reproducer.mlir:16:1: internal error: pass 'test-crash' failed: RuntimeError: boom
// CHECK-NEXT: func.func @crash(%a: i32) -> i32 {
// CHECK-NEXT: {{^}}^
// CHECK-NEXT: note: reproducer written to {{.*}}.mlir

// REPRO:      // configuration: --pass-pipeline='builtin.module(func.func(test-crash{message="boom"}))'
// REPRO-NEXT: "builtin.module"() ({
// REPRO-NEXT:   "func.func"() <{sym_name = "crash"
// REPRO-NEXT:   ^bb0(%a: i32 loc(unknown)):
// REPRO-NEXT:     [[SUM:%.*]] = "arith.addi"(%a, %a) {{.*}} loc("{{.*}}crash_reproducer.mlir":17:3)
// REPRO-NEXT:     [[PRODUCT:%.*]] = "arith.muli"([[SUM]], [[SUM]]) {{.*}} loc("{{.*}}crash_reproducer.mlir":19:3)
// REPRO-NEXT:     "func.return"([[PRODUCT]]) : (i32) -> () loc("{{.*}}crash_reproducer.mlir":20:3)

// TEMP: note: reproducer written to {{.*}}.dir/mopt-reproducer-{{.*}}.mlir

// QUOTED: internal error: pass 'test-crash' failed: RuntimeError: say "hi" \ ok
