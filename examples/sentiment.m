# sentiment.m: the paper's M-BERT text classifier, on the bundled English tweets
# (dataset("tweets"): runtime/data/README.md). It trains a WordPiece tokenizer and a small
# BERT from scratch; to fine-tune a BERT checkpoint folder of your own (config.json,
# tokenizer.json and weights), replace the two lines marked "scratch" by
#     let tok = tokenizer("path/to/bert")
#     let bert = pretrained("path/to/bert", labels=2)
import std.bert

seed(0)
let (train, test) = split(dataset("tweets"), 0.8)
let tok = train_tokenizer(train.text, vocab=2000)                                  # scratch
let bert = BertForSequenceClassification(2000, 64, 2, 2, 128, 64, 2, 1e-12, 2)    # scratch
let (t, v) = (tokenize(tok, train, column="text", max_len=48),
              tokenize(tok, test, column="text", max_len=48))
fit(bert, t, epochs=20, batch=32, lr=0.001)
print("accuracy:", evaluate(bert, v), "share of positives:", mean(cast(v.y, f32)))
save(quantize(bert, "int8"), "sentiment.mpk", tokenizer=tok, classes=train.classes)
let m = load_model("sentiment.mpk")
print("int8 accuracy:", evaluate(m, v))
let new = tokenize(m.tokenizer, ["What a lovely day!", "This is the worst service ever."],
                   max_len=48)
print(m.classes[argmax(predict(m, new), 1)])
