"""The host additions of M 0.2 (section 6 and 2): `break` and `continue`, `str(x)` and
`+` on strings, `print(..., full=true)` and `write(PATH, name=tensor, ...)`, checked where
the frontend decides: located errors, the ops generated, and the verifier."""

from __future__ import annotations

import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model import host
from mlang.frontend import compile_source
from located_errors import located_error

MODEL = """\
model M() {
    fc = Linear(2, 2)
    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        let y = x
        for i in 0..4 {
            if i == 1 { continue }
            if i == 3 { break }
            y = fc(y)
        }
        return y
    }
}
"""

ERRORS = {
    "break outside a loop": ("break\n", 1, 1, "'break' outside a loop"),
    "continue in an if outside a loop": ("if true {\n    continue\n}\n", 2, 5,
                                         "'continue' outside a loop"),
    "break in a method outside a loop": (
        "model M() {\n    fn forward(x: f32[2]) -> f32[2] {\n        break\n"
        "        return x\n    }\n}\n", 3, 9, "'break' outside a loop"),
    "break on a run-time condition in an unrolled loop": (
        "let n = len(dataset(\"iris\"))\nfor h in [1, 2] {\n    if n > h {\n        break\n"
        "    }\n}\n", 4, 9, "cannot leave a loop unrolled at compile time"),
    "a string plus an int": ('let s = "a" + 1\n', 1, 13, "convert with str(1)"),
    "an int plus a run-time string": ('let s = 2 + str(len(dataset("iris")))\n', 1, 11,
                                      "convert with str(2)"),
    "str of a data set": ('let s = str(dataset("iris"))\n', 1, 13, "str takes a number"),
    "print with another keyword": ('print(1, fll=true)\n', 1, 10, "not 'fll'"),
    "print full not known": ('let b = len(dataset("iris")) > 1\nprint(1, full=b)\n', 2, 10,
                             "known at compile time"),
    "write another extension": ('write("w.pt", a=ones([2]))\n', 1, 7, ".safetensors or .npz"),
    "write no tensors": ('write("w.npz")\n', 1, 1, "needs tensors"),
    "write a number": ('write("w.npz", a=ones([2]), b=3)\n', 1, 29, "'b' is int"),
    "write two paths": ('write("w.npz", "v.npz", a=ones([2]))\n', 1, 1, "one path"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_host_addition_errors_are_located(name: str) -> None:
    """Each misuse is a compile error at the token that is wrong."""
    source, line, col, fragment = ERRORS[name]
    err = located_error(source)
    assert (err.loc.line, err.loc.col) == (line, col), err.message
    assert fragment in err.message, err.message


def main_ops(module: ModuleOp) -> list[Operation]:
    """Every op of `@main`, nested ones included, in order."""
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    return list(main.walk())


def test_break_and_continue_in_a_host_loop_become_ops_ending_their_block() -> None:
    """A jump ends its branch (no `model.yield` after it, no statement after it)."""
    module = compile_source(
        "for i in 0..5 {\n    if i == 1 {\n        continue\n        print(i)\n    }\n"
        "    if i == 3 { break }\n    print(i)\n}\n", "t.m")
    ops = main_ops(module)
    jumps = [op for op in ops if isinstance(op, host.LoopJumpOp)]
    assert [type(op) for op in jumps] == [host.ContinueOp, host.BreakOp]
    for op in jumps:
        assert op.parent_block() is not None and op.parent_block().last_op is op
    assert sum(isinstance(op, host.PrintOp) for op in ops) == 1


def test_jumps_in_a_method_are_decided_at_compile_time() -> None:
    """Method loops are unrolled: `continue` skips a copy, `break` ends the copies."""
    module = compile_source(MODEL + "let m = M()\n", "t.m")
    linears = [op for op in module.walk() if op.name == "model.linear"]
    assert len(linears) == 2  # i = 0 and i = 2
    assert not any(isinstance(op, host.LoopJumpOp) for op in module.walk())


def test_strings_known_at_compile_time_are_folded() -> None:
    module = compile_source('print("a" + str("b") + "c")\n', "t.m")
    strs = [op.value.data for op in main_ops(module) if isinstance(op, host.StrOp)]
    assert strs == ["abc"]


def test_print_full_is_a_unit_property() -> None:
    ops = main_ops(compile_source("print(1, full=true)\nprint(2, full=false)\n", "t.m"))
    prints = [op for op in ops if isinstance(op, host.PrintOp)]
    assert [op.full is not None for op in prints] == [True, False]


def test_a_jump_outside_a_for_does_not_verify() -> None:
    module = compile_source("for i in 0..2 {\n    if i == 1 { break }\n}\n", "t.m")
    jump = next(op for op in module.walk() if isinstance(op, host.BreakOp))
    branch, loop = jump.parent_op(), next(op for op in module.walk() if isinstance(op, host.ForOp))
    assert isinstance(branch, host.IfOp)
    branch.detach()
    loop.parent_block().insert_op_before(branch, loop)  # the `if` now stands outside the loop
    with pytest.raises(VerifyException, match="must be inside a model.for"):
        jump.verify()
