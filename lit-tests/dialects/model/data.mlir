// RUN: %roundtrip %s | filecheck %s

// The text and table ops of the `model` dialect (tokenizers, records, columns, classes,
// standardize, load's new options), printed, reparsed from the generic format and printed
// again.

// CHECK-LABEL: func.func @text_and_tables
func.func @text_and_tables(%ids: tensor<?x?xi64>, %texts: !model.list<!model.str>,
                           %sizes: !model.list<i64>, %yes: i1, %n: i64) {
// CHECK-NEXT: [[PATH:%[a-z0-9_]+]] = model.str "tok"
  %path = model.str "tok"
// CHECK-NEXT: [[TOK:%[a-z0-9_]+]] = model.tokenizer [[PATH]] : !model.str -> !model.tokenizer
  %tok = model.tokenizer %path : !model.str -> !model.tokenizer
// CHECK-NEXT: [[TRAINED:%[a-z0-9_]+]] = model.train_tokenizer %{{.*}} vocab(%{{.*}} : i64) : !model.list<!model.str> -> !model.tokenizer
  %trained = model.train_tokenizer %texts vocab(%n : i64) : !model.list<!model.str> -> !model.tokenizer
// CHECK-NEXT: [[REC:%[a-z0-9_]+]] = model.tokenize [[TOK]], %{{.*}} max_len(%{{.*}} : i64) pairs(%{{.*}} : !model.list<!model.str>) : !model.tokenizer, !model.list<!model.str> -> !model.record
  %rec = model.tokenize %tok, %texts max_len(%n : i64) pairs(%texts : !model.list<!model.str>) : !model.tokenizer, !model.list<!model.str> -> !model.record
// CHECK-NEXT: %{{.*}} = model.field [[REC]] "input_ids" : !model.record -> tensor<?x?xi64>
  %field = model.field %rec "input_ids" : !model.record -> tensor<?x?xi64>
// CHECK-NEXT: %{{.*}} = model.decode [[TOK]], %{{.*}} : !model.tokenizer, tensor<?x?xi64> -> !model.list<!model.str>
  %decoded = model.decode %tok, %ids : !model.tokenizer, tensor<?x?xi64> -> !model.list<!model.str>
// CHECK-NEXT: [[DATA:%[a-z0-9_]+]] = model.load [[PATH]] one_hot_columns(%{{.*}} : i1) no_target : !model.str -> !model.dataset
  %data = model.load %path one_hot_columns(%yes : i1) no_target : !model.str -> !model.dataset
// CHECK-NEXT: [[PHOTOS:%[a-z0-9_]+]] = model.load [[PATH]] size(%{{.*}} : !model.list<i64>) : !model.str -> !model.dataset
  %photos = model.load %path size(%sizes : !model.list<i64>) : !model.str -> !model.dataset
// CHECK-NEXT: [[COL:%[a-z0-9_]+]] = model.column [[DATA]] "city" : !model.dataset -> !model.column
  %col = model.column %data "city" : !model.dataset -> !model.column
// CHECK-NEXT: %{{.*}} = model.classes [[COL]] : !model.column -> !model.list<!model.str>
  %col_classes = model.classes %col : !model.column -> !model.list<!model.str>
// CHECK-NEXT: %{{.*}} = model.classes [[DATA]] : !model.dataset -> !model.list<!model.str>
  %classes = model.classes %data : !model.dataset -> !model.list<!model.str>
// CHECK-NEXT: %{{.*}} = model.tokenize [[TOK]], [[DATA]] column(%{{.*}} : !model.str) : !model.tokenizer, !model.dataset -> !model.dataset
  %tokenized = model.tokenize %tok, %data column(%path : !model.str) : !model.tokenizer, !model.dataset -> !model.dataset
// CHECK-NEXT: %{{.*}} = model.data_x %{{.*}} : !model.dataset -> !model.record
  %features = model.data_x %tokenized : !model.dataset -> !model.record
// CHECK-NEXT: %{{.*}} = model.standardize [[DATA]], [[PHOTOS]] : !model.dataset, !model.dataset -> tuple<!model.dataset, !model.dataset>
  %both = model.standardize %data, %photos : !model.dataset, !model.dataset -> tuple<!model.dataset, !model.dataset>
// CHECK-NEXT: %{{.*}} = model.standardize [[DATA]] : !model.dataset -> !model.dataset
  %one = model.standardize %data : !model.dataset -> !model.dataset
  func.return
}
