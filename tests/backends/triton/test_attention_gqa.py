"""Grouped-query heads in the Triton fused attention kernel: keys and values keep their
own head count (`KV < H`) and the kernel reads key/value head `h // (H / KV)` for query
head `h`, never copying them to `H` heads. Differential against the reference backend
(causal, boolean and additive masks, one and two key/value heads), with the
interpreter's block sizes and, under the AOT check, with a GPU's, compiled for sm_80 and
sm_90."""

from __future__ import annotations

from io import StringIO

import pytest
import torch

import mlang
from mlang.backends.triton.aot import aot_check
from mlang.backends.triton.backend import emit_triton
from mlang.dialects import make_context
from mlang.frontend import compile_source

SOURCE = """
model M(heads: int, kv: int) {
  fn causal_bool(q: f32[N, heads, T, 8], k: f32[N, kv, S, 8], v: f32[N, kv, S, 8],
                 m: bool[N, 1, 1, S]) -> f32[N, heads, T, 8] {
    return attention(q, k, v, mask=m, causal=true)
  }
  fn additive(q: f32[N, heads, T, 8], k: f32[N, kv, S, 8], v: f32[N, kv, S, 8],
              m: f32[N, heads, T, S]) -> f32[N, heads, T, 8] {
    return attention(q, k, v, mask=m, scale=0.3)
  }
  fn forward(q: f32[N, heads, T, 8], k: f32[N, kv, S, 8],
             v: f32[N, kv, S, 8]) -> f32[N, heads, T, 8] {
    return attention(q, k, v, causal=true)
  }
}
"""


def inputs(heads: int, kv: int, t: int, s: int) -> dict[str, list[torch.Tensor]]:
    """Each method's arguments: batch 2, 8-wide heads, a padding mask on the second row."""
    g = torch.Generator().manual_seed(heads * 10 + kv)
    q, k, v = (torch.randn(2, h, n, 8, generator=g)
               for h, n in ((heads, t), (kv, s), (kv, s)))
    keep = torch.ones(2, 1, 1, s, dtype=torch.bool)
    keep[1, ..., s - 2:] = False
    added = torch.randn(2, heads, t, s, generator=g)
    return {"causal_bool": [q, k, v, keep], "additive": [q, k, v, added],
            "forward": [q, k, v]}


def run_all(backend: str, heads: int, kv: int, t: int, s: int) -> dict[str, torch.Tensor]:
    """Every method's output on `backend`."""
    model = mlang.compile(SOURCE, backend=backend).M(heads, kv)
    out = {}
    for name, args in inputs(heads, kv, t, s).items():
        result = getattr(model, name)(*args)
        assert isinstance(result, torch.Tensor)
        out[name] = result
    return out


@pytest.mark.parametrize(("heads", "kv", "t", "s"), [(4, 2, 5, 5), (4, 1, 3, 6), (6, 2, 7, 7)])
def test_grouped_heads_equal_the_reference(heads: int, kv: int, t: int, s: int) -> None:
    got, want = run_all("triton", heads, kv, t, s), run_all("reference", heads, kv, t, s)
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-4, atol=1e-5, msg=name)


def test_keys_and_values_are_read_in_place() -> None:
    module = compile_source(SOURCE + "let m = M(4, 2)\n", "t.m")
    out = StringIO()
    emit_triton(module, make_context(), out)
    source = out.getvalue()
    assert "(z1 // 2) * kt_st1" in source and "(z1 // 2) * v_st1" in source
    assert "broadcast_to" not in source  # no copy of the key/value heads to 4 heads


def test_grouped_attention_compiles_for_gpus() -> None:
    with aot_check((80, 90)) as check:
        got = run_all("triton", 4, 2, 5, 5)
    want = run_all("reference", 4, 2, 5, 5)
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-4, atol=1e-5, msg=name)
    names = {launch.name for launch in check.compiled.values()}
    assert any("attention" in n for n in names) and not check.fallbacks, names
