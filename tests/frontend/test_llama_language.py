"""What std.llama needed of M, compiled and run: `tie A = B if COND` (a tie that a
hyper-parameter turns on), `list + list` of tensors in a method (a per-layer cache
gathered in a loop), and `x[i]` of a tensor with several sizes known only at run time
(one layer's cache); with their located errors."""

from __future__ import annotations

import pytest
import torch

import mlang
from located_errors import located_error
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source

TIED = """\
model M(tied: {kind}) {{
    a = Linear(4, 4, bias=false)
    b = Linear(4, 4, bias=false)
    tie b.weight = a.weight if {condition}
    fn forward(x: f32[N, 4]) -> f32[N, 4] {{ return b(a(x)) }}
}}
let m = M({value})
"""


@pytest.mark.parametrize(("value", "ties"), [("true", {"b.weight": "a.weight"}),
                                             ("false", {})])
def test_a_conditional_tie_follows_its_hyper_parameter(value: str,
                                                       ties: dict[str, str]) -> None:
    source = TIED.format(kind="bool", condition="tied", value=value)
    (m,) = [op for op in compile_source(source, "t.m").ops if isinstance(op, DefOp)]
    assert m.ties == ties


@pytest.mark.parametrize(("kind", "condition", "value", "where", "message"), [
    ("int", "tied", "1", (4, 32), "the condition of a tie must be a boolean known at "
                                  "compile time, got int"),
    ("bool", "tide", "true", (4, 32), "unknown name 'tide'; did you mean 'tied'?"),
])
def test_conditional_tie_errors_are_located(kind: str, condition: str, value: str,
                                            where: tuple[int, int], message: str) -> None:
    err = located_error(TIED.format(kind=kind, condition=condition, value=value))
    assert err.loc is not None and (err.loc.line, err.loc.col) == where, err
    assert message in err.message


STACK = """\
model Block(d: int) {
    lin = Linear(d, d)
    fn forward(x: f32[N, T, d]) -> f32[N, T, d] { return lin(x) }
}
model Stack(d: int, n: int) {
    layers = repeat(n, Block(d))
    fn forward(x: f32[N, T, d], past: f32[n, N, P, d]) -> f32[n, N, ?, d] {
        let h = x
        let grown = []
        for i in 0..n {
            h = layers[i](h)
            grown = grown + [unsqueeze(concat([past[i], h], axis=1), 0)]
        }
        return concat(grown, axis=0)
    }
}
"""


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_a_cache_grows_through_a_list_and_run_time_indexing(backend: str) -> None:
    torch.manual_seed(0)
    net = mlang.compile(STACK, backend=backend).Stack(4, 2)
    x, past = torch.randn(3, 2, 4), torch.randn(2, 3, 5, 4)
    got = net(x, past)
    assert isinstance(got, torch.Tensor) and got.shape == (2, 3, 7, 4)
    h, want = x, []
    for i in range(2):
        w, b = (net.parameters()[f"layers.{i}.lin.{p}"] for p in ("weight", "bias"))
        h = h @ w.T + b
        want.append(torch.cat([past[i], h], dim=1))
    torch.testing.assert_close(got, torch.stack(want), rtol=1e-5, atol=1e-5)


def test_adding_a_list_to_a_tensor_is_a_located_error() -> None:
    err = located_error(STACK.replace("grown + [", "h + [") + "let s = Stack(4, 2)\n")
    assert err.loc is not None and err.loc.line == 12
    assert "expected a tensor or a number, got list" in err.message
