# sentiment.m: the paper's M-BERT text classifier, on the bundled English tweets
# (dataset("tweets"): runtime/data/README.md). With `checkpoint` empty it trains a
# WordPiece tokenizer and a small BERT from scratch; set it to the path of a BERT-family
# checkpoint folder of your own (config.json, tokenizer.json and weights, as transformers'
# save_pretrained writes them) to fine-tune that instead.
import std.bert

let checkpoint = ""
seed(0)
let (train, test) = split(dataset("tweets"), 0.8)
let tok = (tokenizer(checkpoint) if checkpoint != ""
           else train_tokenizer(train.text, vocab=2000))
let bert = (pretrained(checkpoint, labels=2) if checkpoint != ""
            else BertForSequenceClassification(2000, 64, 2, 2, 128, 64, 2, 1e-12, 2))
let (t, v) = (tokenize(tok, train, column="text", max_len=48),
              tokenize(tok, test, column="text", max_len=48))
fit(bert, t, epochs=20, batch=32, lr=0.001)
print("accuracy:", evaluate(bert, v), "share of positives:", mean(cast(v.y, f32)))
save(quantize(bert, "int8"), "sentiment.mpk", tokenizer=tok, classes=train.classes)
let m = load_model("sentiment.mpk")
print("int8 accuracy:", evaluate(m, v))
let new = tokenize(m.tokenizer, ["What a lovely day, I love it :)",
                                 "This is awful, I hate it :("], max_len=48)
print(m.classes[argmax(predict(m, new), 1)])
