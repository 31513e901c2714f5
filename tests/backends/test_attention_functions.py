"""`attention`, `rope` and `gelu(approximate="tanh")` on every backend against PyTorch:
`scaled_dot_product_attention` (boolean, additive and broadcast masks, causal with more
keys than queries, grouped-query heads), Hugging Face Llama's rotary embedding, and
`F.gelu(approximate="tanh")`. Causal follows PyTorch's `is_causal`: aligned to the top
left, query i sees keys j <= i even when there are more keys than queries."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import mlang

BACKENDS = ("reference", "torch", "triton")

SOURCE = """
model M() {
  fn bool_causal(q: f32[N, 4, 3, 8], k: f32[N, 2, 5, 8], v: f32[N, 2, 5, 8],
                 m: bool[N, 1, 1, 5]) -> f32[N, 4, 3, 8] {
    return attention(q, k, v, mask=m, causal=true)
  }
  fn additive(q: f32[N, 4, 3, 8], k: f32[N, 2, 5, 8], v: f32[N, 2, 5, 8],
              m: f32[N, 4, 3, 5]) -> f32[N, 4, 3, 8] {
    return attention(q, k, v, mask=m, scale=0.3)
  }
  fn causal(q: f32[N, 4, 3, 8], k: f32[N, 4, 5, 8], v: f32[N, 4, 5, 8]) -> f32[N, 4, 3, 8] {
    return attention(q, k, v, causal=true)
  }
  fn forward(q: f32[N, 4, 3, 8], k: f32[N, 4, 3, 8], v: f32[N, 4, 3, 8]) -> f32[N, 4, 3, 8] {
    return attention(q, k, v)
  }
  fn rope_rows(x: f32[N, 4, 3, 8], p: i64[N, 3]) -> f32[N, 4, 3, 8] {
    return rope(x, p)
  }
  fn rope_shared(x: f32[N, 2, 3, 4], p: i64[3]) -> f32[N, 2, 3, 4] {
    return rope(x, p, theta=500.0)
  }
  fn gelus(x: f32[N, 7]) -> f32[N, 7] {
    return gelu(x, approximate="tanh") - gelu(x, approximate="none")
  }
}
"""


@pytest.fixture(scope="module", params=BACKENDS)
def model(request: pytest.FixtureRequest) -> mlang.Model:
    """The test model, compiled for one backend."""
    return mlang.compile(SOURCE, backend=request.param).M()


def qkv(heads: int, kv_heads: int, t: int, s: int) -> tuple[torch.Tensor, ...]:
    """Random queries, keys and values of 8-wide heads, batch 2."""
    g = torch.Generator().manual_seed(heads * 100 + kv_heads * 10 + s)
    return tuple(torch.randn(2, h, n, 8, generator=g)
                 for h, n in ((heads, t), (kv_heads, s), (kv_heads, s)))


def close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Equal to float32 rounding."""
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)


def test_boolean_broadcast_mask_with_causal_and_grouped_heads(model: mlang.Model) -> None:
    q, k, v = qkv(4, 2, 3, 5)
    m = torch.tensor([True, False, True, True, False]).repeat(2, 1, 1, 1)
    m[1, ..., 1] = True
    seen = torch.ones(3, 5, dtype=torch.bool).tril()
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=m & seen, enable_gqa=True)
    close(model.bool_causal(q, k, v, m), expected)


def test_additive_mask_and_scale(model: mlang.Model) -> None:
    q, k, v = qkv(4, 2, 3, 5)
    m = torch.randn(2, 4, 3, 5, generator=torch.Generator().manual_seed(1))
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3,
                                              enable_gqa=True)
    close(model.additive(q, k, v, m), expected)


def test_causal_is_top_left_aligned_with_more_keys(model: mlang.Model) -> None:
    q, k, v = qkv(4, 4, 3, 5)
    close(model.causal(q, k, v), F.scaled_dot_product_attention(q, k, v, is_causal=True))


def test_plain(model: mlang.Model) -> None:
    q, k, v = qkv(4, 4, 3, 3)
    close(model(q, k, v), F.scaled_dot_product_attention(q, k, v))


def hf_rope(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """`transformers`' Llama rotary embedding of `x` at `[N, T]` positions."""
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import (
        LlamaRotaryEmbedding, apply_rotary_pos_emb,
    )
    heads, size = x.shape[1], x.shape[3]
    config = LlamaConfig(hidden_size=heads * size, num_attention_heads=heads,
                         rope_theta=theta)
    cos, sin = LlamaRotaryEmbedding(config)(x, positions)
    return apply_rotary_pos_emb(x, x, cos, sin)[0]


def test_rope_matches_llama(model: mlang.Model) -> None:
    g = torch.Generator().manual_seed(2)
    x, p = torch.randn(2, 4, 3, 8, generator=g), torch.tensor([[0, 1, 2], [5, 7, 11]])
    close(model.rope_rows(x, p), hf_rope(x, p, 10000.0))
    x, p = torch.randn(2, 2, 3, 4, generator=g), torch.tensor([3, 4, 5])
    close(model.rope_shared(x, p), hf_rope(x, p.expand(2, 3), 500.0))


def test_gelu_tanh(model: mlang.Model) -> None:
    x = torch.linspace(-5, 5, 21).reshape(3, 7)
    close(model.gelus(x), F.gelu(x, approximate="tanh") - F.gelu(x))

