"""Tokenizers: equal to `transformers`' fast tokenizer on the same tokenizer.json (padding to
max_length, truncation), training, decoding, and located errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from mlang.runtime.datasets import Column
from mlang.runtime.text import decode, load_tokenizer, tokenize, train_tokenizer
from mlang.support.diagnostics import UserError

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Un café crème, s'il vous plaît!",
    "Naïve résumé façade; jalapeño — señor.",
    "Numbers: 3.14159, 42, and -7e10 are fine?",
    "Ünïcödé ÀÉÎÕÜ straße ÅNGSTRÖM",
    "Tokenizers split words into word-pieces (sub-words).",
    "東京 is a city; Москва too.",
] * 4

STRINGS = [
    "", " ", "a", "A.", "hello, world!", "HELLO WORLD", "café", "Crème Brûlée", "naïve",
    "...", "?!?!", "(parenthesised) [bracketed] {braced}", "tab\tseparated", "new\nline",
    "straße", "ÅNGSTRÖM", "東京", "Москва", "emoji 😀 here", "don't can't won't",
    "x" * 300, " ".join(["word"] * 200), "a-b-c-d", "3.14159", "-7e10", "e-mail@example.com",
    "über-long " * 40, "   leading and trailing   ", "UPPER lower MiXeD", "résumé naïve façade",
]
STRINGS += [f"{a} {b}" for a, b in zip(CORPUS[:35], reversed(STRINGS))]
STRINGS += [s.upper() for s in CORPUS[:7]] + [s[: i * 2] for i, s in enumerate(CORPUS * 2)]
PAIRS = list(zip(STRINGS[:50], reversed(STRINGS[50:])))
assert len(STRINGS) >= 100 and len(PAIRS) == 50


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a trained WordPiece tokenizer.json."""
    path = tmp_path_factory.mktemp("tok")
    train_tokenizer(CORPUS, vocab=200).save(str(path / "tokenizer.json"))
    return path


def reference(folder: Path) -> PreTrainedTokenizerFast:
    """transformers' fast tokenizer on the same file, told its pad token as usual."""
    return PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"),
                                   pad_token="[PAD]")


@pytest.mark.parametrize("max_len", [2, 3, 8, 64])
def test_tokenize_equals_transformers(folder: Path, max_len: int) -> None:
    ours = tokenize(load_tokenizer(str(folder)), STRINGS, max_len=max_len)
    theirs = reference(folder)(STRINGS, padding="max_length", truncation=True,
                               max_length=max_len, return_tensors="pt",
                               return_token_type_ids=True)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert ours[name].dtype == torch.int64 and ours[name].shape == (len(STRINGS), max_len)
        assert torch.equal(ours[name], theirs[name]), name


def test_pairs_equal_transformers(folder: Path) -> None:
    first, second = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    ours = tokenize(load_tokenizer(str(folder / "tokenizer.json")), first, 24, pairs=second)
    theirs = reference(folder)(first, second, padding="max_length", truncation=True,
                               max_length=24, return_tensors="pt", return_token_type_ids=True)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert torch.equal(ours[name], theirs[name]), name
    assert ours["token_type_ids"].max() == 1


def test_own_padding_section_is_used(tmp_path: Path) -> None:
    tok = Tokenizer(models.WordLevel({"<unk>": 0, "<p>": 1, "hi": 2, "yo": 3}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.enable_padding(pad_id=1, pad_token="<p>")
    tok.save(str(tmp_path / "tokenizer.json"))
    ours = tokenize(load_tokenizer(str(tmp_path)), ["hi yo hi", "zz"], max_len=4)
    theirs = PreTrainedTokenizerFast(tokenizer_file=str(tmp_path / "tokenizer.json"))(
        ["hi yo hi", "zz"], padding="max_length", truncation=True, max_length=4,
        return_tensors="pt")
    assert ours["input_ids"].tolist() == [[2, 3, 2, 1], [0, 1, 1, 1]]
    assert torch.equal(ours["input_ids"], theirs["input_ids"])


def test_decode_and_columns(folder: Path) -> None:
    tok = load_tokenizer(str(folder))
    ids = tokenize(tok, ["the quick brown fox", "café"], max_len=12)["input_ids"]
    assert decode(tok, ids) == ["the quick brown fox", "cafe"]
    assert decode(tok, ids[0]) == ["the quick brown fox"]
    column = Column.of_strings("text", ["the fox", "a dog"])
    assert tokenize(tok, column, max_len=5)["input_ids"].shape == (2, 5)
    with pytest.raises(UserError, match="max_len 1 is shorter than the 2 special tokens"):
        tokenize(tok, ["a"], max_len=1)
    with pytest.raises(UserError, match="integer ids"):
        decode(tok, ids.float())
    with pytest.raises(UserError, match="out of range"):
        decode(tok, torch.tensor([[10**6]]))


def test_train_tokenizer_is_wordpiece_with_bert_normalisation() -> None:
    tok = train_tokenizer(CORPUS, vocab=120)
    assert tok.get_vocab_size() <= 120 and tok.token_to_id("[PAD]") == 0
    assert tok.encode("CAFÉ").tokens[1:-1] == tok.encode("cafe").tokens[1:-1]
    with pytest.raises(UserError, match="vocab must be at least"):
        train_tokenizer(CORPUS, vocab=3)


def test_truncated_tokenizer_json_is_located(folder: Path, tmp_path: Path) -> None:
    text = (folder / "tokenizer.json").read_text()
    (tmp_path / "tokenizer.json").write_text(text[: len(text) // 2])
    lines = text[: len(text) // 2].count("\n") + 1
    with pytest.raises(UserError, match=rf"tokenizer.json' line {lines}, column \d+: not valid "
                                        "JSON"):
        load_tokenizer(str(tmp_path))


def test_bad_tokenizer_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no tokenizer at"):
        load_tokenizer(str(tmp_path))
    (tmp_path / "tokenizer.json").write_text(json.dumps({"model": {"type": "Nope"}}))
    with pytest.raises(UserError, match="not a tokenizer.json that the tokenizers library"):
        load_tokenizer(str(tmp_path / "tokenizer.json"))
    (tmp_path / "t.json").write_text(json.dumps({"version": "1.0", "model": {
        "type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}}))
    with pytest.raises(UserError, match="no padding token"):
        tokenize(load_tokenizer(str(tmp_path / "t.json")), ["a"], max_len=2)
