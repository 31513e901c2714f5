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


def test_arithmetic_on_a_run_time_size_keeps_one_affine_size() -> None:
    # `t - 1` is one run-time size (d * 1 - 1) // 1, `(t + 1) // 2` is (d + 1) // 2: the
    # result types know neither, so the `?` dimension sums with nothing it contradicts.
    text = ir_of("let a = x[:, t - 1]\n        let z = zeros([(t + 1) // 2, 2 * t - 1])\n"
                 "        return x + reshape(a, [-1, 1, dim]) + sum(z)")
    assert "source_maps = array<i64: 1, 1, 2, 2, -1, 1>" in text
    assert "source_maps = array<i64: 1, -1, 1, 1, 0, 1>" in text  # start t - 1, stop t
    assert "x + zeros([t])" not in text


def test_expand_to_a_run_time_size_keeps_its_name() -> None:
    # expand(x[:, :1], [-1, t, -1]) is f32[N, T, dim]: the sum with x checks.
    text = ir_of("return x + expand(x[:, :1], [-1, t, -1])")
    assert "tensorops.broadcast_dynamic" in text
    located = located_error(PROGRAM.format(body="return x + expand(x[:, :1], [-1, t - 1, 3])"))
    assert "size 4 is neither 1 nor 3" in located.message


@pytest.mark.parametrize(("body", "message"), [
    ("return x + one_hot(arange(t), t)",
     "n must be an integer known at compile time, got a size known only at run time (T)"),
    ("return x + zeros([t * t])", "'*' of two sizes known only at run time"),
    ("return x + zeros([t < t])", "only + - * // apply to a size known only at run time (T)"),
    ("return x + zeros([t / 2])", "only + - * // apply to a size known only at run time (T); "
                                  "divide with '//'"),
    ("return x + zeros([t // 2 * 2])", "was divided: multiply before dividing"),
    ("return x + zeros([2 // t])", "'//' divides a size known only at run time by a positive"),
    ("return x + zeros([t // 0])", "'//' divides a size known only at run time by a positive"),
    ("return x + zeros([t + 0.5])", "the other operand of '+' must be an integer known at "
                                    "compile time, got float"),
    ("return x + randn([t - 1, dim])", "randn needs sizes known at compile time"),
    ("return expand(x, [-1, -1, t, dim])", "expand: new leading sizes must be given, not -1"),
    ("return expand(x, [-1, t, 3])", "expand: size 4 is neither 1 nor 3"),
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


def test_floor_division_folds_integers_known_at_compile_time() -> None:
    # `//` binds as `*` does, and folds compile-time numbers as Python's does.
    text = ir_of("return x + zeros([dim // 3 * 2 + 1 // 2 + 2])")  # 4 // 3 * 2 + 0 + 2 == 4
    assert "model.zeros" in text
    located = located_error(PROGRAM.format(body="return x // x"))
    assert "'//' applies to integers known at compile time and to sizes" in located.message


def test_minus_one_and_offset_slices_keep_sizes_known() -> None:
    # [N, T, dim] to [n, t, 2, -1] makes the -1 dim / 2 = 2; x[:, 1:t + 1] of
    # concat([x[:, :1], x]) is T long; both sums check against f32[N, T, dim].
    text = ir_of("let h = reshape(x, [shape(x)[0], t, 2, -1])\n"
                 "        let g = concat([x[:, :1], x], axis=1)[:, 1:t + 1]\n"
                 "        return g + reshape(h + zeros([1, 1, 1, 2]), [shape(x)[0], t, dim])")
    assert "tensorops.slice_dynamic" in text


def test_rope_needs_a_head_size_known_at_compile_time() -> None:
    located = located_error("""model R() {
    fn forward(x: f32[N, H, T, D]) -> f32[N, H, T, D] {
        return rope(x, arange(shape(x)[2]))
    }
}
let r = R()
""")
    assert "rope: the head size D must be known at compile time" in located.message


def test_a_same_padded_convolution_keeps_a_symbolic_length() -> None:
    source = PROGRAM.replace("fc = Linear(dim, dim)",
                             'conv = Conv1d(dim, dim, 3, padding="same", dilation=2)')
    compile_source(source.format(
        body="return permute(conv(permute(x, [0, 2, 1])), [0, 2, 1])"), "t.m")
