"""Tokenizers, with Hugging Face's `tokenizers` library: loading, training, encoding into a
record of padded tensors (as `transformers`' fast tokenizer pads and truncates with
`padding="max_length", truncation=True`), and decoding."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import torch
from tokenizers import Encoding, Tokenizer, decoders, models, normalizers, pre_tokenizers
from tokenizers import processors, trainers

from mlang.runtime.datasets import Column, Dataset, Record
from mlang.support.diagnostics import UserError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
"""The special tokens of a trained (BERT-style) tokenizer, [PAD] first (id 0)."""
PAD_TOKENS = ("[PAD]", "<pad>")
"""Where a tokenizer.json has no padding section, the token that pads, as the first of
these that its vocabulary holds (what `transformers` is told as `pad_token`)."""
FIELDS = ("input_ids", "attention_mask", "token_type_ids")
Texts = list[str] | Column


def load_tokenizer(path: str) -> Tokenizer:
    """A tokenizer from a `tokenizer.json` file or the folder that holds one."""
    file = Path(path)
    if file.is_dir():
        file = file / "tokenizer.json"
    if not file.is_file():
        raise UserError(f"no tokenizer at '{path}': expected a tokenizer.json file or a "
                        "folder holding one")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read '{file}': {err}") from None
    return tokenizer_from_json(text, f"'{file}'")


def tokenizer_from_json(text: str, where: str) -> Tokenizer:
    """The tokenizer of a tokenizer.json's text; `where` names its source in errors."""
    try:
        json.loads(text)  # its error names the line and column of a truncated file
        return Tokenizer.from_str(text)
    except json.JSONDecodeError as err:
        raise UserError(f"{where} line {err.lineno}, column {err.colno}: not valid JSON "
                        f"({err.msg}); is the file cut short?") from None
    except Exception as err:  # noqa: BLE001 - tokenizers raises bare Exceptions
        raise UserError(f"{where} is not a tokenizer.json that the tokenizers library "
                        f"reads: {err}") from None


def train_tokenizer(texts: Texts, vocab: int = 8000) -> Tokenizer:
    """A WordPiece tokenizer with BERT's normalisation trained on `texts`."""
    if vocab < len(SPECIAL_TOKENS) + 1:
        raise UserError(f"vocab must be at least {len(SPECIAL_TOKENS) + 1}, got {vocab}")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab, special_tokens=list(SPECIAL_TOKENS),
                                        show_progress=False)
    tok.train_from_iterator(_strings(texts, "train_tokenizer"), trainer=trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return tok


def tokenize(tok: Tokenizer, texts: Texts, max_len: int = 128,
             pairs: Texts | None = None) -> Record:
    """`input_ids`, `attention_mask` and `token_type_ids` (i64 `[N, max_len]`) of `texts`
    (with `pairs`, of sentence pairs), padded and truncated to `max_len`."""
    if max_len <= 0:
        raise UserError(f"max_len must be positive, got {max_len}")
    first = _strings(texts, "tokenize")
    batch: list[str] | list[tuple[str, str]] = first
    if pairs is not None:
        second = _strings(pairs, "tokenize's pairs")
        if len(second) != len(first):
            raise UserError(f"tokenize got {len(first)} texts but {len(second)} pairs")
        batch = list(zip(first, second))
    special = tok.num_special_tokens_to_add(is_pair=pairs is not None)
    if max_len < special:
        raise UserError(f"max_len {max_len} is shorter than the {special} special tokens this "
                        "tokenizer adds to each row")
    return _encode(_configured(tok, max_len), batch)


def tokenize_dataset(tok: Tokenizer, data: Dataset, column: str, max_len: int) -> Dataset:
    """The data set with the tokenizer's fields of its text column as its features."""
    record = tokenize(tok, data.column(column), max_len)
    return dataclasses.replace(data, x=torch.zeros(len(data), 0), record=record,
                               categorical=())


def decode(tok: Tokenizer, ids: torch.Tensor) -> list[str]:
    """The text of each row of ids (`[N, L]`, or one `[L]`), special tokens left out."""
    if ids.dtype.is_floating_point or ids.dtype == torch.bool or ids.ndim not in (1, 2):
        raise UserError(f"decode needs integer ids of shape [N, L] or [L], got "
                        f"{str(ids.dtype).removeprefix('torch.')}{list(ids.shape)}")
    rows = ids.reshape(-1, ids.shape[-1]).tolist()
    size = tok.get_vocab_size(with_added_tokens=True)
    if any(not 0 <= i < size for row in rows for i in row):
        raise UserError(f"decode: an id is out of range for this tokenizer's {size} tokens")
    return list(tok.decode_batch(rows))


def _strings(texts: Texts, what: str) -> list[str]:
    """The strings of a list or a text column."""
    if isinstance(texts, Column):
        strings = texts.strings
        if strings is None:
            raise UserError(f"{what} needs text; column '{texts.name}' holds numbers")
        return strings
    return texts


def _configured(tok: Tokenizer, max_len: int) -> Tokenizer:
    """`tok` set to pad and truncate to `max_len` as `transformers` sets it."""
    pad_id, pad_token, pad_type = _padding(tok)
    tok.enable_truncation(max_len, stride=0, strategy="longest_first", direction="right")
    tok.enable_padding(direction="right", pad_id=pad_id, pad_type_id=pad_type,
                       pad_token=pad_token, length=max_len)
    return tok


def _padding(tok: Tokenizer) -> tuple[int, str, int]:
    """The pad token's id, text and type id: the tokenizer.json's own, else [PAD]/<pad>."""
    own = tok.padding
    if own is not None:
        return int(own["pad_id"]), str(own["pad_token"]), int(own["pad_type_id"])
    for token in PAD_TOKENS:
        if (pad_id := tok.token_to_id(token)) is not None:
            return pad_id, token, 0
    raise UserError("this tokenizer has no padding token (its tokenizer.json has no "
                    f"\"padding\" section and its vocabulary no {' or '.join(PAD_TOKENS)})")


def _encode(tok: Tokenizer, batch: list[str] | list[tuple[str, str]]) -> Record:
    """Encodes a batch into the record's three i64 tensors."""
    encodings: list[Encoding] = tok.encode_batch_fast(batch) if batch else []
    columns = {
        "input_ids": [e.ids for e in encodings],
        "attention_mask": [e.attention_mask for e in encodings],
        "token_type_ids": [e.type_ids for e in encodings],
    }
    width = tok.padding["length"] if tok.padding else 0
    return {name: torch.from_numpy(np.array(rows, dtype=np.int64).reshape(len(encodings), width))
            for name, rows in columns.items()}
