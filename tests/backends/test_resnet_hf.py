"""A tiny ResNet written in M (`resnet_tiny.m`) against Hugging Face's
`ResNetForImageClassification` (transformers, test only): the `model.safetensors` that
`save_pretrained` writes, with trained-looking batch-norm statistics set by hand, loads
into the M model unchanged (every name and shape the same, buffers included), and the
logits agree to 1e-4 on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hand_written import load_hand_written

import transformers  # noqa: E402 - a test dependency (the dev extra), never skipped

SOURCE = Path(__file__).with_name("resnet_tiny.m")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module]:
    """A saved tiny HF ResNet with random weights and running statistics, in eval mode."""
    config = transformers.ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[8, 16],
                                       depths=[1, 1], layer_type="basic", num_labels=5)
    torch.manual_seed(0)
    hf = transformers.ResNetForImageClassification(config).eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, t in hf.state_dict().items():
            if name.endswith("running_mean") or name.endswith("normalization.bias"):
                t.copy_(torch.randn(t.shape, generator=generator) * 0.5)
            elif name.endswith("running_var") or name.endswith("normalization.weight"):
                t.copy_(torch.rand(t.shape, generator=generator) + 0.5)
            elif name.endswith("num_batches_tracked"):
                t.fill_(1000)
    folder = tmp_path_factory.mktemp("resnet")
    hf.save_pretrained(folder)
    return folder / "model.safetensors", hf


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_tiny_resnet_equals_transformers(checkpoint: tuple[Path, torch.nn.Module],
                                         backend: str) -> None:
    path, hf = checkpoint
    model = load_hand_written(SOURCE, "ResNetForImageClassification()", backend, path)
    assert list(model.params) == list(hf.state_dict())
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    (got,) = model.call("forward", [pixels])
    with torch.no_grad():
        want = hf(pixel_values=pixels).logits
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    assert model.params["resnet.embedder.embedder.normalization.num_batches_tracked"] == 1000
