"""A tiny Llama written by hand in M (`llama_tiny.m`) against Hugging Face's
`LlamaForCausalLM` (transformers, test only): the `model.safetensors` that
`save_pretrained` writes loads into the M model unchanged (the `model.` prefix is a field
named `model`), and with `rope` and grouped-query `attention` the logits agree to 1e-4
on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hand_written import load_hand_written

import transformers  # noqa: E402 - a test dependency (the dev extra), never skipped

SOURCE = Path(__file__).with_name("llama_tiny.m")
VOCAB, DIM, LAYERS, HEADS, KV_HEADS, HIDDEN = 100, 32, 2, 4, 2, 64


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module]:
    """A saved tiny random HF Llama with grouped-query heads, in eval mode."""
    config = transformers.LlamaConfig(
        vocab_size=VOCAB, hidden_size=DIM, num_hidden_layers=LAYERS,
        num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, intermediate_size=HIDDEN,
        max_position_embeddings=64, rms_norm_eps=1e-6)
    torch.manual_seed(0)
    hf = transformers.LlamaForCausalLM(config).eval()
    folder = tmp_path_factory.mktemp("llama")
    hf.save_pretrained(folder)
    return folder / "model.safetensors", hf


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_tiny_llama_equals_transformers(checkpoint: tuple[Path, torch.nn.Module],
                                        backend: str) -> None:
    path, hf = checkpoint
    hparams = ", ".join(map(str, (VOCAB, DIM, LAYERS, HEADS, KV_HEADS, HIDDEN)))
    model = load_hand_written(SOURCE, f"TinyLlama({hparams})", backend, path)
    assert list(model.params) == list(hf.state_dict())
    ids = torch.randint(0, VOCAB, (2, 7), generator=torch.Generator().manual_seed(1))
    (got,) = model.call("forward", [ids])
    with torch.no_grad():
        want = hf(input_ids=ids).logits
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
