# RUN: cd %S && mopt %s | filecheck %s

# `pretrained` reads the folder's config.json when the program is compiled: the std model
# its architecture names is specialised with the config's hyper-parameters (here a
# BertModel checkpoint asked for two labels: BertForSequenceClassification), and
# `model.load_pretrained` loads the weights when the program runs. `import std.bert`
# shares the same declarations.

import std.bert

let m = pretrained("Inputs/bert-tiny", labels=2)
print(m(tensor([[1, 2]]), tensor([[1, 1]]), tensor([[0, 0]])))

# CHECK: model.def @BertForSequenceClassification_20_8_1_2_16_16_2_1em12_2 attributes {source = "BertForSequenceClassification", hparams = {vocab_size = 20 : i64, hidden_size = 8 : i64, num_hidden_layers = 1 : i64, num_attention_heads = 2 : i64, intermediate_size = 16 : i64, max_position_embeddings = 16 : i64, type_vocab_size = 2 : i64, layer_norm_eps = 1.000000e-12 : f64, num_labels = 2 : i64}} {
# CHECK: model.param @bert.embeddings.word_embeddings.weight : tensor<20x8xf32>
# CHECK: model.param @classifier.weight : tensor<2x8xf32>
# CHECK-LABEL: func.func @main() {
# CHECK-NEXT: [[M:%.*]] = model.instantiate @BertForSequenceClassification_20_8_1_2_16_16_2_1em12_2
# CHECK-NEXT: [[P:%.*]] = model.str "{{.*}}/Inputs/bert-tiny"
# CHECK-NEXT: model.load_pretrained [[M]], [[P]] base "bert" fresh ["classifier"] other_head
