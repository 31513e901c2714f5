"""Sizes known only at run time: what `shape(x)[i]` gives in a method, and the located
error for each use of a run-time size where a static one is required."""

from __future__ import annotations

import pytest
from located_errors import located_error
from mlang.frontend import compile_source

PROGRAM = """model M(dim: int) {{
    fc = Linear(dim, dim)
    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {{
        let t = shape(x)[1]
        {body}
    }}
}}
let m = M(4)
"""


def ir_of(body: str) -> str:
    """The printed module of `PROGRAM` with `body` as the end of forward."""
    return str(compile_source(PROGRAM.format(body=body), "t.m"))


def test_static_sizes_keep_static_ops() -> None:
    text = ir_of("return x + zeros([dim]) + reshape(arange(shape(x)[2]), [1, 1, dim])")
    assert "_dynamic" not in text and "tensorops.iota" not in text
    assert "model.arange" in text and "model.zeros" in text


def test_a_run_time_size_keeps_its_dimension_name() -> None:
    # `zeros([N, T, 1])` has the sizes of x's first two dimensions: the sum checks.
    text = ir_of("return x + zeros([shape(x)[0], t, 1])")
    assert "tensorops.full_dynamic" in text
    # `x[:, :t]` is f32[N, T, dim] and `x[:, :t, 1:3]` f32[N, T, 2]: the sums check.
    text = ir_of("return x[:, :t] + reshape(x, [shape(x)[0], t, dim])")
    assert "tensorops.slice_dynamic" in text and "tensorops.reshape_dynamic" in text
    located = located_error(PROGRAM.format(body="return x[:, :t, 1:3] + zeros([2, t, 3])"))
    assert "shapes [N, T, 2] and [2, T, 3] do not broadcast" in located.message


def test_minus_one_among_run_time_sizes_is_known_where_it_can_be() -> None:
    # x is f32[N, T, 4]: [n, t, 2, -1] is f32[N, T, 2, 2], a head size known at compile
    # time (as `attention` needs); [t, -1] of other sizes than x's own leaves it unknown.
    text = ir_of("return reshape(reshape(x, [shape(x)[0], t, 2, -1]) + zeros([2, 2]), "
                 "[shape(x)[0], t, dim]) + sum(reshape(x, [t, -1]), axis=1)")
    assert "tensor<?x?x2x2xf32>" in text and "tensor<?x?xf32>" in text


@pytest.mark.parametrize(("body", "message"), [
    ("return x + one_hot(arange(t), t)",
     "n must be an integer known at compile time, got a size known only at run time (T)"),
    ("return x + zeros([t + 1])",
     "expected a tensor or a number, got a size known only at run time (T)"),
    ("return x + randn([t, dim])", "randn needs sizes known at compile time"),
    ("return x[t]", "an index must be known at compile time; slice with a run-time size"),
    ("return permute(x, [0, t, 2])", "dims must be a list of integers known at compile time"),
    ("return x[:, ::t]", "a slice step must be known at compile time"),
    ("return reshape(x, [t, -1, -1])", "reshape: at most one size may be -1"),
    ("return x + zeros([t, -2, 1])", "zeros: sizes must not be negative"),
    ("return x[:, :t, :, 1]", "too many indices (4) for a tensor of rank 3"),
])
def test_a_run_time_size_where_a_static_one_is_required(body: str, message: str) -> None:
    err = located_error(PROGRAM.format(body=body))
    assert message in err.message
    assert err.loc is not None and err.loc.line == 5


def test_a_host_variable_of_other_sizes_is_widened() -> None:
    text = str(compile_source("let a = zeros([2, 3])\nfor i in 0..2 {\n"
                              "    a = concat([a, a], axis=1)\n}\nprint(a)\n", "t.m"))
    assert "tensor<2x?xf32>" in text


def test_a_host_variable_of_another_rank_is_an_error() -> None:
    err = located_error("let a = zeros([2, 3])\na = zeros([2])\n")
    assert "'a' holds f32[2, 3]; cannot assign f32[2]" in err.message
