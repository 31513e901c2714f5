"""Fields whose layers differ (what std.resnet's stages need): a comprehension
`[LAYER for i in ITEMS]`, `a if cond else b` on a compile-time condition, list
hyper-parameters with `len` of them in models, and an int hyper-parameter given an
integral float; the IR they make and their located errors."""

from __future__ import annotations

import pytest

from located_errors import located_error
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source

STAGES = """\
model Block(cin: int, cout: int, project: bool) {
    shortcut = Linear(cin, cout) if project else Identity()
    fc = Linear(cin, cout)
    fn forward(x: f32[N, cin]) -> f32[N, cout] {
        return fc(x) + shortcut(x)
    }
}
model Net(sizes, width: int) {
    blocks = [Block(width if i == 0 else sizes[i - 1], sizes[i],
                    (width if i == 0 else sizes[i - 1]) != sizes[i])
              for i in 0..len(sizes)]
    head = Linear(sizes[len(sizes) - 1], width / 2)
    fn forward(x: f32[N, width]) -> f32[N, ?] {
        let h = x
        for b in blocks {
            h = b(h)
        }
        return head(h)
    }
}
let net = Net([4, 4, 6], 4)
print(shape(net(randn([3, 4]))))
"""


def definition(source: str, name: str) -> DefOp:
    """The definition of model `name` that `source` compiles to."""
    return next(op for op in compile_source(source, "t.m").ops
                if isinstance(op, DefOp) and op.attributes["source"].data == name)


def test_comprehension_makes_differing_layers() -> None:
    """Each item makes one layer under `NAME.i`; the condition picks each shortcut."""
    net = definition(STAGES, "Net")
    shapes = {p.sym_name.data: tuple(p.param_type.get_shape()) for p in net.params}
    assert shapes == {
        "blocks.0.fc.weight": (4, 4), "blocks.0.fc.bias": (4,),
        "blocks.1.fc.weight": (4, 4), "blocks.1.fc.bias": (4,),
        "blocks.2.shortcut.weight": (6, 4), "blocks.2.shortcut.bias": (6,),
        "blocks.2.fc.weight": (6, 4), "blocks.2.fc.bias": (6,),
        "head.weight": (2, 6), "head.bias": (2,),
    }


def test_list_hyper_parameter_is_kept_in_the_ir() -> None:
    net = definition(STAGES, "Net")
    assert str(net.attributes["hparams"].data["sizes"]) == "[4 : i64, 4 : i64, 6 : i64]"


def test_comprehension_over_a_list() -> None:
    source = STAGES.replace("for i in 0..len(sizes)]", "for i in [0, 1, 2]]")
    assert [p.sym_name.data for p in definition(source, "Net").params][:2] == [
        "blocks.0.fc.weight", "blocks.0.fc.bias"]


def test_conditional_expression_in_a_method() -> None:
    """`a if cond else b` with a compile-time condition is a value anywhere."""
    source = STAGES.replace("return head(h)", "return head(h) * (2.0 if width > 3 else 1.0)")
    definition(source, "Net")


ERRORS = {
    "comprehension_in_method": (
        STAGES.replace("return head(h)", "return head([h for i in 0..2][0])"),
        18, 21, "a comprehension '[... for NAME in ...]' makes the layers of a field"),
    "comprehension_in_host": (
        "let xs = [1 for i in 0..2]\n", 1, 10,
        "a comprehension '[... for NAME in ...]' makes the layers of a field"),
    "runtime_condition": (
        "let x = randn([2])\nlet y = 1 if mean(x) > 0.0 else 2\n", 2, 22,
        "the condition of 'a if cond else b' must be a boolean known at compile time"),
    "empty_comprehension": (
        STAGES.replace("0..len(sizes)]", "0..0]"), 11, 24,
        "a comprehension of layers needs at least one item"),
    "comprehension_over_a_number": (
        STAGES.replace("0..len(sizes)]", "width]"), 11, 24,
        "a comprehension of layers goes over a range 'a..b' or a list known at compile "
        "time, got int"),
    "list_for_an_int": (
        STAGES.replace("Net([4, 4, 6], 4)", "Net([4, 4, 6], [4])"), 21, 26,
        "hyper-parameter 'width' of Net must be known at compile time"),
    "len_of_a_tensor_in_a_model": (
        STAGES.replace("return head(h)", "return head(h) * len(h)"), 18, 26,
        "len can only be used in the host program (in a model, of a list known at "
        "compile time)"),
    "fractional_size": (
        STAGES.replace("width / 2)", "width / 3)"), 12, 48,
        "must be an integer known at compile time"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_located_errors(case: str) -> None:
    source, line, col, message = ERRORS[case]
    err = located_error(source)
    assert message in err.message
    assert err.loc is not None and (err.loc.line, err.loc.col) == (line, col), err
