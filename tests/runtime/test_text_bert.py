"""Text through a pretrained BERT classifier: a checkpoint folder holding a tiny random
`BertForSequenceClassification` and its tokenizer.json, both written by `transformers`
(a test dependency only); M tokenizes a padded batch and runs the model, with the logits
of `transformers`' tokenizer and model on the same texts to 1e-4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import transformers  # a test dependency (the dev extra), never skipped
from safetensors.numpy import load_file
from test_host_programs import mrun

from mlang.runtime.text import train_tokenizer

pytestmark = pytest.mark.usefixtures("one_thread")

CORPUS = ["the film was a delight from start to end", "a dull and tired story",
          "great acting, weak plot", "I would not watch it again"] * 5
TEXTS = ["a delight of a film!", "weak, dull and tired; I would not watch it"]
MAX_LEN = 16


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BERT classifier of 3 classes and its tokenizer, saved as Hugging Face saves them."""
    path = tmp_path_factory.mktemp("bert")
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=train_tokenizer(CORPUS, vocab=120), pad_token="[PAD]",
        cls_token="[CLS]", sep_token="[SEP]", unk_token="[UNK]", mask_token="[MASK]")
    tok.save_pretrained(path)
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=48, max_position_embeddings=32, num_labels=3)
    transformers.BertForSequenceClassification(config).eval().save_pretrained(path)
    return path


def expected(folder: Path) -> np.ndarray:
    """`transformers`' logits for TEXTS, padded to MAX_LEN."""
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.BertForSequenceClassification.from_pretrained(folder).eval()
    batch = tok(TEXTS, padding="max_length", truncation=True, max_length=MAX_LEN,
                return_tensors="pt")
    assert 0 in batch["attention_mask"][0].tolist()  # the first text is padded
    with torch.no_grad():
        logits: np.ndarray = model(**batch).logits.numpy()
    return logits


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_logits_of_tokenized_text_equal_transformers(tmp_path: Path, folder: Path,
                                                     backend: str) -> None:
    """tokenizer(PATH), tokenize and pretrained(PATH) of one folder give its logits."""
    mrun(tmp_path, f'let tok = tokenizer("{folder}")\n'
                   f'let m = pretrained("{folder}")\n'
                   f'let r = tokenize(tok, {TEXTS!r}, max_len={MAX_LEN})\n'.replace("'", '"')
                   + 'write("out.safetensors", y=predict(m, r))\n', backend)
    got = load_file(str(tmp_path / "out.safetensors"))["y"]
    np.testing.assert_allclose(got, expected(folder), rtol=1e-4, atol=1e-4)
