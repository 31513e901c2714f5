"""The reference definition of mlang's int8 arithmetic: symmetric quantization with
scales in float32, round half to even, values clamped to [-127, 127], and int8 products
accumulated exactly in int32.

Weights are quantized once, per output channel (or per tensor); activations per row at
run time (dynamic) or with one scale fixed by calibration (static). The `quantize` pass
writes these steps as tensorops (`tensorops.quantize`, `tensorops.dequantize`, a
`tensorops.matmul` of int8 operands with an int32 result); the reference evaluator runs
them with the functions below, and every backend must agree with them exactly.
"""

from __future__ import annotations

import torch

from mlang.dialects.tensorops import QMAX


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


def quantize_weight(w: torch.Tensor, scale_shape: tuple[int, ...]) -> tuple[torch.Tensor,
                                                                           torch.Tensor]:
    """int8 weights and their scales, of `scale_shape`: `[out, 1]` for a `[out, in]`
    weight per output channel, `[]` per tensor. Each scale covers the elements that
    broadcast onto it."""
    if not scale_shape:
        scale = scales_for(w.detach().abs().amax())
    else:
        dims = tuple(d for d, n in enumerate(scale_shape) if n == 1 and w.shape[d] != 1)
        magnitudes = w.detach().abs()
        scale = scales_for(magnitudes.amax(dim=dims, keepdim=True) if dims else magnitudes)
    return quantize(w.detach(), scale), scale


def quantize_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row (last dimension) int8 activations and their scales."""
    scale = scales_for(x.detach().abs().amax(dim=-1, keepdim=True))
    return quantize(x, scale), scale


def int8_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The int32 product of int8 tensors (`torch.matmul` semantics), exact: float64 holds
    every sum of up to 2**38 products of int8 values without rounding."""
    return torch.matmul(a.to(torch.float64), b.to(torch.float64)).to(torch.int32)
