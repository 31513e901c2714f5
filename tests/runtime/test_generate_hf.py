"""`generate` with the standard library's causal language models against `transformers`:
tiny random GPT-2 and Llama checkpoints (hidden 32, two layers, fixed seeds chosen so
that the greedy continuation varies) written by `transformers` (a test dependency only),
extended by 16 tokens through their key-value cache methods, token for token equal to
`generate(do_sample=False)`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import transformers  # a test dependency (the dev extra), never skipped
from safetensors.numpy import load_file
from test_host_programs import mrun

pytestmark = pytest.mark.usefixtures("one_thread")

PROMPT = [[5, 17, 3, 42, 8, 23], [61, 2, 99, 14, 30, 7]]
NEW = 16


def tiny_gpt2() -> transformers.PreTrainedModel:
    """GPT-2 of seed 0; a wide initialisation keeps the tiny model from repeating one
    token."""
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=100, n_positions=32, n_embd=32, n_layer=2, n_head=4, n_inner=48,
        initializer_range=0.6, bos_token_id=None, eos_token_id=None)
    return transformers.GPT2LMHeadModel(config).eval()


def tiny_llama() -> transformers.PreTrainedModel:
    """Llama of seed 2 with grouped-query heads (4 heads, 2 key-value heads)."""
    torch.manual_seed(2)
    config = transformers.LlamaConfig(
        vocab_size=100, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32,
        initializer_range=0.2, bos_token_id=None, eos_token_id=None, pad_token_id=None)
    return transformers.LlamaForCausalLM(config).eval()


MODELS = {"gpt2": tiny_gpt2, "llama": tiny_llama}


def greedy(model: transformers.PreTrainedModel) -> np.ndarray:
    """What `transformers` generates greedily after PROMPT."""
    ids = torch.tensor(PROMPT)
    out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                         max_new_tokens=NEW, pad_token_id=0)
    result: np.ndarray = out.numpy()
    return result


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, np.ndarray]]:
    """Each family's saved folder and `transformers`' greedy continuation."""
    root = tmp_path_factory.mktemp("causal")
    saved = {}
    for name, make in MODELS.items():
        model = make()
        model.save_pretrained(root / name)
        saved[name] = (root / name, greedy(model))
    return saved


@pytest.mark.parametrize("backend", ["reference", "torch"])
@pytest.mark.parametrize("family", sorted(MODELS))
def test_greedy_generate_equals_transformers(
        tmp_path: Path, checkpoints: dict[str, tuple[Path, np.ndarray]], family: str,
        backend: str) -> None:
    """Three lines of M generate what `transformers` does, token for token."""
    folder, want = checkpoints[family]
    assert all(len(set(row[len(PROMPT[0]):])) > 4 for row in want.tolist())  # not one token
    mrun(tmp_path, f'let m = pretrained("{folder}")\n'
                   f'let ids = generate(m, tensor({PROMPT}), max_new={NEW})\n'
                   'write("out.safetensors", ids=ids)\n', backend)
    got = load_file(str(tmp_path / "out.safetensors"))["ids"]
    np.testing.assert_array_equal(got, want)
