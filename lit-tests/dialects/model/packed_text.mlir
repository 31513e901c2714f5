// RUN: %roundtrip %s | filecheck %s

// A package's tokenizer and class names: `save`'s tokenizer and classes operands, a
// loaded model's `m.tokenizer` and `m.classes`, and a list indexed by a tensor of
// indices (the names of predictions); printed, reparsed from the generic format and
// printed again.

// CHECK-LABEL: func.func @packed_text
func.func @packed_text(%m: !model.model<"?">, %tok: !model.tokenizer,
                       %names: !model.list<!model.str>, %path: !model.str,
                       %best: tensor<?xi64>, %one: tensor<i64>, %any: tensor<*xi64>) {
// CHECK-NEXT: model.save %{{.*}}, %{{.*}} tokenizer(%{{.*}} : !model.tokenizer) classes(%{{.*}} : !model.list<!model.str>) : !model.model<"?">, !model.str
  model.save %m, %path tokenizer(%tok : !model.tokenizer) classes(%names : !model.list<!model.str>) : !model.model<"?">, !model.str
// CHECK-NEXT: model.save %{{.*}}, %{{.*}} classes(%{{.*}} : !model.list<!model.str>) : !model.model<"?">, !model.str
  model.save %m, %path classes(%names : !model.list<!model.str>) : !model.model<"?">, !model.str
// CHECK-NEXT: %{{.*}} = model.model_tokenizer %{{.*}} : !model.model<"?"> -> !model.tokenizer
  %packed = model.model_tokenizer %m : !model.model<"?"> -> !model.tokenizer
// CHECK-NEXT: [[CLASSES:%[a-z0-9_]+]] = model.classes %{{.*}} : !model.model<"?"> -> !model.list<!model.str>
  %classes = model.classes %m : !model.model<"?"> -> !model.list<!model.str>
// CHECK-NEXT: %{{.*}} = model.index [[CLASSES]][%{{.*}}] : (!model.list<!model.str>, tensor<?xi64>) -> !model.list<!model.str>
  %each = model.index %classes[%best] : (!model.list<!model.str>, tensor<?xi64>) -> !model.list<!model.str>
// CHECK-NEXT: %{{.*}} = model.index [[CLASSES]][%{{.*}}] : (!model.list<!model.str>, tensor<i64>) -> !model.str
  %single = model.index %classes[%one] : (!model.list<!model.str>, tensor<i64>) -> !model.str
// CHECK-NEXT: %{{.*}} = model.index [[CLASSES]][%{{.*}}] : (!model.list<!model.str>, tensor<*xi64>) -> !model.list<!model.str>
  %unranked = model.index %classes[%any] : (!model.list<!model.str>, tensor<*xi64>) -> !model.list<!model.str>
  func.return
}
