"""A tiny ViT written in M by hand (`vit_tiny.m`: `param` fields for the [CLS] token and
the position embeddings, a strided Conv2d patch embedding, LayerNorm, `attention`)
against Hugging Face's `ViTForImageClassification` (transformers, test only): the
`model.safetensors` that `save_pretrained` writes loads into the M model unchanged, and
the logits agree to 1e-4 on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hand_written import load_hand_written

import transformers  # noqa: E402 - a test dependency (the dev extra), never skipped

SOURCE = Path(__file__).with_name("vit_tiny.m")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module]:
    """A saved tiny HF ViT with random weights (a non-zero [CLS] token), in eval mode."""
    config = transformers.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                    intermediate_size=37, image_size=32, patch_size=8,
                                    num_labels=3)
    torch.manual_seed(0)
    hf = transformers.ViTForImageClassification(config).eval()
    with torch.no_grad():
        hf.vit.embeddings.cls_token.normal_()
    folder = tmp_path_factory.mktemp("vit")
    hf.save_pretrained(folder)
    return folder / "model.safetensors", hf


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_tiny_vit_equals_transformers(checkpoint: tuple[Path, torch.nn.Module],
                                      backend: str) -> None:
    path, hf = checkpoint
    model = load_hand_written(SOURCE, "ViTForImageClassification()", backend, path)
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    (got,) = model.call("forward", [pixels])
    with torch.no_grad():
        want = hf(pixel_values=pixels).logits
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    assert sum(p.numel() for p in model.params.values()) == hf.num_parameters()
