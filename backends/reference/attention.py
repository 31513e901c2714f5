"""The reference meaning of M 0.2's attention functions, written out step by step (not
with PyTorch's fused `scaled_dot_product_attention`, which the tests compare against)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None,
         scale: float, causal: bool) -> torch.Tensor:
    """`softmax(q k^T * scale + mask) v` with grouped-query heads: query head h reads
    key/value head `h // (H / Hkv)`; `causal` masks keys after the query (top-left)."""
    groups = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    scores = (q @ k.transpose(-2, -1)) * scale
    if causal:
        future = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device)
        scores = scores.masked_fill(future.triu(1), -math.inf)
    if mask is not None:
        scores = scores.masked_fill(~mask, -math.inf) if mask.dtype == torch.bool \
            else scores + mask
    return torch.softmax(scores, dim=-1) @ v


def rope(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """Rotary embedding of `[N, H, T, D]`, Hugging Face Llama's rotate-half convention."""
    size = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, size, 2, device=x.device).float() / size))
    angles = positions.float()[..., None] * inv  # [T, D/2] or [N, T, D/2]
    full = torch.cat([angles, angles], dim=-1)
    if full.dim() == 3:
        full = full[:, None]
    cos, sin = full.cos().to(x.dtype), full.sin().to(x.dtype)
    low, high = x[..., : size // 2], x[..., size // 2:]
    return x * cos + torch.cat([-high, low], dim=-1) * sin


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """GELU in PyTorch's tanh approximation."""
    return F.gelu(x if x.is_floating_point() else x.float(), approximate="tanh")
