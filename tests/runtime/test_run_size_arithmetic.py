"""Arithmetic on sizes known only at run time (`t - 1`, `2 * t + 1`, `(t + 1) // 2`), run-time
indices and `expand` to run-time sizes: one compiled instance, every length, every backend,
equal to the same computation written in PyTorch."""

from __future__ import annotations

import mlang
import pytest
import torch

PROGRAM = """
model Arith(dim: int) {
    fn forward(x: f32[N, T, dim]) -> f32[N, dim] {
        let n = shape(x)[0]
        let t = shape(x)[1]
        let last = x[:, t - 1]
        let half = sum(x[:, :t // 2], axis=1)
        let pos = cast(arange(2 * t + 1), f32)
        let grid = expand(reshape(last, [n, 1, dim]), [n, t - 1, -1])
        let pad = zeros([n, (t + 1) // 2, dim]) + 1.0
        let tail = x[:, t - 2:, :]
        return last + half * 2.0 + sum(pos) + sum(grid, axis=1) * 3.0 +
            sum(pad, axis=1) * 5.0 + sum(tail, axis=1) * 7.0
    }
}
"""


def expected(x: torch.Tensor) -> torch.Tensor:
    """`Arith.forward` written in PyTorch."""
    t = x.shape[1]
    last = x[:, t - 1]
    return (last + 2 * x[:, :t // 2].sum(1) + t * (2 * t + 1) + 3 * (t - 1) * last
            + 5 * ((t + 1) // 2) + 7 * x[:, t - 2:].sum(1))


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_arithmetic_on_run_time_sizes_through_one_instance(backend: str) -> None:
    net = mlang.compile(PROGRAM, backend=backend).Arith(4)
    compiled = net._instance.compiled
    torch.manual_seed(0)
    for size in [(2, 3), (1, 6), (3, 7)]:
        x = torch.randn(*size, 4)
        torch.testing.assert_close(net(x), expected(x), rtol=1e-5, atol=1e-4)
    assert net._instance.compiled is compiled
