"""The `Attention` layer's forward-time `mask=`: boolean (true where a query attends) or
additive, broadcasting to the scores `[N, heads, T, T]`, with run-time sizes and causal,
on every backend against `scaled_dot_product_attention` on the layer's projections; and
its located errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import mlang
from mlang.frontend import compile_source
from mlang.support.diagnostics import CompileError

BACKENDS = ("reference", "torch", "triton")

SOURCE = """
model M(dim: int, heads: int) {
    attn = Attention(dim, heads)
    causal = Attention(dim, heads, causal=true)
    fn forward(x: f32[N, T, dim], keep: bool[N, T]) -> f32[N, T, dim] {
        let n = shape(x)[0]
        let t = shape(x)[1]
        return attn(x, mask=reshape(keep, [n, 1, 1, t]))
    }
    fn additive(x: f32[N, T, dim], bias: f32[N, T, T]) -> f32[N, T, dim] {
        return causal(x, mask=reshape(bias, [shape(x)[0], 1, shape(x)[1], shape(x)[1]]))
    }
    fn unmasked(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return attn(x, mask=none)
    }
}
"""


def expected(net: mlang.Model, layer: str, x: torch.Tensor, mask: torch.Tensor | None,
             causal: bool) -> torch.Tensor:
    """The layer in PyTorch: projections, two heads, SDPA, the output projection."""
    p = net.parameters()
    n, t, dim = x.shape

    def heads(name: str) -> torch.Tensor:
        y = F.linear(x, p[f"{layer}.{name}.weight"], p[f"{layer}.{name}.bias"])
        return y.reshape(n, t, 2, dim // 2).transpose(1, 2)

    if causal:
        seen = torch.ones(t, t, dtype=torch.bool).tril()
        mask = seen if mask is None else mask + torch.where(seen, 0.0, float("-inf"))
    mixed = F.scaled_dot_product_attention(heads("q"), heads("k"), heads("v"), attn_mask=mask)
    merged = mixed.transpose(1, 2).reshape(n, t, dim)
    return F.linear(merged, p[f"{layer}.out.weight"], p[f"{layer}.out.bias"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_masks_through_one_instance(backend: str) -> None:
    torch.manual_seed(0)
    net = mlang.compile(SOURCE, backend=backend).M(8, 2)
    for n, t in [(2, 5), (1, 3)]:
        x = torch.randn(n, t, 8)
        keep = torch.rand(n, t) > 0.3
        keep[:, 0] = True  # no row masks every key
        bias = torch.randn(n, t, t)
        torch.testing.assert_close(net(x, keep), expected(net, "attn", x, keep[:, None, None],
                                                          False), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(net.additive(x, bias),
                                   expected(net, "causal", x, bias[:, None], True),
                                   rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(net.unmasked(x), expected(net, "attn", x, None, False),
                                   rtol=1e-4, atol=1e-5)


ERRORS = """
model M() {{
    attn = Attention(8, 2)
    fn forward(x: f32[N, T, 8], m: f32[N, 3]) -> f32[N, T, 8] {{
        return {call}
    }}
}}
let m = M()
"""


@pytest.mark.parametrize(("call", "message", "column"), [
    ("attn(x, mask=reshape(m, [-1, 3, 1, 1]))", "Attention at 'attn': the mask "
                                                "f32[?, 3, 1, 1] does not broadcast to the "
                                                "scores [N, 2, T, T]", 29),
    ("attn(x, mask=reshape(m, [1, 1, 1, 1, -1]))", "does not broadcast to the scores", 29),
    ("attn(x, mask=m, scale=2.0)", "Attention takes exactly one input, got 2", 16),
])
def test_mask_errors_are_located(call: str, message: str, column: int) -> None:
    with pytest.raises(CompileError) as info:
        compile_source(ERRORS.format(call=call), "t.m")
    assert message in info.value.message
    assert info.value.loc is not None and (info.value.loc.line, info.value.loc.col) == (5, column)
