"""The reference definition of mlang's int8 arithmetic: symmetric quantization with
scales in float32, round half to even, values clamped to [-127, 127].

Weights are quantized per output channel (dimension 0); activations per row (dynamic)
or per tensor with a scale fixed by calibration (static). Here the products run on the
dequantized values; backends with int8 kernels must agree with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

QMAX = 127


def scales_for(absmax: torch.Tensor) -> torch.Tensor:
    """Scales that map `absmax` to 127; an all-zero row gets scale 1 to avoid dividing by 0."""
    s = absmax.to(torch.float32) / QMAX
    return torch.where(s > 0, s, torch.ones_like(s))


def quantize(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """int8 values of `x / scale`, rounded half to even and clamped."""
    return torch.clamp(torch.round(x / scale), -QMAX, QMAX).to(torch.int8)


def dequantize(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """float32 values `q * scale`."""
    return q.to(torch.float32) * scale


def quantize_per_channel(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-output-channel int8 weights and their scales (shape `[out, 1, ...]`)."""
    dims = tuple(range(1, w.dim()))
    absmax = w.detach().abs().amax(dim=dims, keepdim=True) if dims else w.detach().abs()
    scale = scales_for(absmax)
    return quantize(w.detach(), scale), scale


def quantize_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row (last dimension) int8 activations and their scales."""
    scale = scales_for(x.detach().abs().amax(dim=-1, keepdim=True))
    return quantize(x, scale), scale


@dataclass
class ActivationQuant:
    """How linear layers quantize their inputs: per row ("dynamic") or with fixed scales.

    With an `observer`, nothing is quantized: inputs are reported (calibration).
    """

    mode: str
    scales: dict[str, float] = field(default_factory=dict)
    observer: Callable[[str, torch.Tensor], None] | None = None

    def apply(self, layer: str, x: torch.Tensor) -> torch.Tensor:
        """The input of linear layer `layer` as the int8 kernel sees it (dequantized)."""
        if self.observer is not None:
            self.observer(layer, x)
            return x
        if self.mode == "dynamic":
            q, s = quantize_rows(x)
            return dequantize(q, s)
        scale = torch.tensor(self.scales.get(layer, 1.0), dtype=torch.float32)
        return dequantize(quantize(x, scale), scale)
