// RUN: %roundtrip %s | filecheck %s

// `model.generate`: ids in and out, and text with a tokenizer, printed, reparsed from the
// generic format and printed again.

// CHECK-LABEL: func.func @generation
func.func @generation(%m: !model.model<"LM">, %ids: tensor<?x3xi64>, %tok: !model.tokenizer,
                      %prompt: !model.str, %prompts: !model.list<!model.str>, %n: i64,
                      %t: f64) {
// CHECK-NEXT: %{{.*}} = model.generate %{{.*}}, %{{.*}} : !model.model<"LM">, tensor<?x3xi64> -> tensor<?x?xi64>
  %0 = model.generate %m, %ids : !model.model<"LM">, tensor<?x3xi64> -> tensor<?x?xi64>
// CHECK-NEXT: %{{.*}} = model.generate %{{.*}}, %{{.*}} max_new(%{{.*}} : i64) temperature(%{{.*}} : f64) top_k(%{{.*}} : i64) top_p(%{{.*}} : f64) eos(%{{.*}} : i64) seed(%{{.*}} : i64) : !model.model<"LM">, tensor<?x3xi64> -> tensor<?x?xi64>
  %1 = model.generate %m, %ids max_new(%n : i64) temperature(%t : f64) top_k(%n : i64) top_p(%t : f64) eos(%n : i64) seed(%n : i64) : !model.model<"LM">, tensor<?x3xi64> -> tensor<?x?xi64>
// CHECK-NEXT: %{{.*}} = model.generate %{{.*}}, %{{.*}} text(%{{.*}} : !model.str) max_new(%{{.*}} : i64) : !model.model<"LM">, !model.tokenizer -> !model.str
  %2 = model.generate %m, %tok text(%prompt : !model.str) max_new(%n : i64) : !model.model<"LM">, !model.tokenizer -> !model.str
// CHECK-NEXT: %{{.*}} = model.generate %{{.*}}, %{{.*}} text(%{{.*}} : !model.list<!model.str>) : !model.model<"LM">, !model.tokenizer -> !model.list<!model.str>
  %3 = model.generate %m, %tok text(%prompts : !model.list<!model.str>) : !model.model<"LM">, !model.tokenizer -> !model.list<!model.str>
  func.return
}
