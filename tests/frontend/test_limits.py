"""Programs that ask for too much IR fail fast with a located error naming the limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlang.frontend import compile_source, limits
from mlang.support.diagnostics import CompileError

REPEAT = """model B() = Linear(2, 2)
model Big() {
    layers = repeat(1000000, B())
    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        return x
    }
}
let net = Big()
"""
STATIC_LOOP = """fn f(x: f32[N, 2]) -> f32[N, 2] {
    let y = x
    for i in 0..10000000 {
        y = y + 1.0
    }
    return y
}
print(f(ones([1, 2])))
"""
# Each loop is within the limit; together they are not.
NESTED = """fn g(x: f32[N, 2]) -> f32[N, 2] {
    let y = x
    for i in 0..100 {
        y = y + 1.0
    }
    return y
}
fn f(x: f32[N, 2]) -> f32[N, 2] {
    let y = x
    for i in 0..10 {
        y = g(y)
    }
    return y
}
print(f(ones([1, 2])))
"""


@pytest.mark.parametrize(("program", "line", "col", "limit"), [
    (REPEAT, 3, 21, f"more than {limits.MAX_LAYERS} layers made by repeat"),
    (STATIC_LOOP, 3, 14, "more than 500 iterations of loops"),
    (NESTED, 3, 14, "more than 500 iterations of loops"),
], ids=["repeat", "static-loop", "nested"])
def test_a_limit_is_a_located_error(program: str, line: int, col: int, limit: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A lower limit: the nested case generates every iteration up to it (a shared machine).
    monkeypatch.setattr(limits, "MAX_UNROLLED_ITERATIONS", 500)
    with pytest.raises(CompileError) as caught:
        compile_source(program, "prog.m")
    assert (caught.value.loc.line, caught.value.loc.col) == (line, col)  # type: ignore[union-attr]
    assert caught.value.message.startswith(f"program too large: {limit}")


def test_the_statement_limit_bounds_inlining(monkeypatch: pytest.MonkeyPatch) -> None:
    """Functions that each call the next several times grow exponentially."""
    monkeypatch.setattr(limits, "MAX_STATEMENTS", 500)
    chain = "fn f0(x: f32[N, 2]) -> f32[N, 2] {\n    return x + 1.0\n}\n" + "".join(
        f"fn f{i}(x: f32[N, 2]) -> f32[N, 2] {{\n    return f{i - 1}(f{i - 1}(x))\n}}\n"
        for i in range(1, 30))
    with pytest.raises(CompileError, match="more than 500 statements generated"):
        compile_source(chain + "print(f29(ones([1, 2])))\n", "prog.m")


def test_repeat_fails_fast_under_a_memory_cap(tmp_path: Path) -> None:
    """On main, repeat(1000000, ...) died of MemoryError with a traceback, then hung."""
    (tmp_path / "prog.m").write_text(REPEAT)
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
              "from mlang.tools.mrun import main; sys.argv = ['mrun', 'prog.m']; main()")
    done = subprocess.run([sys.executable, "-c", script], text=True, capture_output=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("prog.m:3:21: error: program too large"), done.stderr
    assert "Traceback" not in done.stderr
