"""Drawing initial parameter values.

What a layer owns (names, shapes, initialiser and scale) is declared in the IR by the
frontend (`frontend/layers.py`, as `model.param`); `init_parameter` draws one tensor.
Drawing a model's parameters in declaration order from the global generator reproduces,
value for value, the module PyTorch would build after the same `torch.manual_seed`.
"""

from __future__ import annotations

import torch

INIT_KINDS = ("uniform", "normal", "ones", "zeros", "full")


def init_parameter(
    kind: str, shape: tuple[int, ...], scale: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A new f32 tensor: U(-scale, scale), N(0, scale), ones, zeros (scale unused) or
    every element `scale` (full)."""
    if kind == "uniform":
        return torch.empty(shape).uniform_(-scale, scale, generator=generator)
    if kind == "normal":
        return torch.empty(shape).normal_(0.0, scale, generator=generator)
    if kind == "ones":
        return torch.ones(shape)
    if kind == "zeros":
        return torch.zeros(shape)
    if kind == "full":
        return torch.full(shape, scale)
    raise ValueError(f"unknown init kind '{kind}'; expected one of {', '.join(INIT_KINDS)}")
