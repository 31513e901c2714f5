"""Fuzzing the frontend's limits: example programs whose numbers are replaced by huge ones
(repeat counts, loop bounds, sizes) compile or fail with a located error, in seconds and
never with another exception. Run with `-s` to see the counts."""

from __future__ import annotations

import re
import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlang.frontend import compile_source
from mlang.support.diagnostics import CompileError

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.m"))
SOURCES = {p.name: p.read_text() for p in EXAMPLES}
HUGE = ["0", "-1", "100000", "1000000", "10000000", "1000000000", "9223372036854775807",
        "1e300", "0..1000000"]
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
# Loops and repeats that examples do not have, placed at the start of the host program.
EXTRA = ["for i in 0..{n} {{\n    print(i)\n}}\n",
         "model Deep() {{\n    layers = repeat({n}, Linear(2, 2))\n"
         "    fn forward(x: f32[N, 2]) -> f32[N, 2] {{\n        for l in layers {{\n"
         "            x = l(x)\n        }}\n        return x\n    }}\n}}\nlet deep = Deep()\n",
         "fn f(x: f32[N, 2]) -> f32[N, 2] {{\n    let y = x\n    for i in 0..{n} {{\n"
         "        y = y + 1.0\n    }}\n    return y\n}}\nprint(f(ones([1, 2])))\n"]
OUTCOMES: Counter[str] = Counter()
HANG_SECONDS = 120
"""A case still compiling after this long hangs: a guard, not a speed test (a limit is
met in well under a second; a hang, as before the limits, runs for many minutes)."""


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    """Prints the outcome counts once the module's cases have run."""
    yield
    total = sum(OUTCOMES.values())
    print(f"\nlimits fuzz: {total} cases, {OUTCOMES['error']} clean errors, "
          f"{OUTCOMES['compiled']} successes, "
          f"{total - OUTCOMES['error'] - OUTCOMES['compiled']} anything else")


@st.composite
def huge_program(draw: st.DrawFn) -> str:
    """An example with some of its numbers made huge, and perhaps a large loop added."""
    text = SOURCES[draw(st.sampled_from(sorted(SOURCES)))]
    spans = [m.span() for m in NUMBER.finditer(text)]
    for _ in range(draw(st.integers(1, 3))):
        lo, hi = draw(st.sampled_from(spans))
        text = text[:lo] + draw(st.sampled_from(HUGE)) + text[hi:]
        spans = [s for s in spans if s[1] <= lo] or spans[:1]
    if draw(st.booleans()):
        n = draw(st.sampled_from(["3", *HUGE[2:5]]))
        text += draw(st.sampled_from(EXTRA)).format(n=n)
    return text


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Fails the case that runs `seconds` without finishing, rather than hanging the suite."""
    def hung(signum: int, frame: object) -> None:
        raise AssertionError(f"still compiling after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(huge_program())
def test_huge_programs_compile_or_fail_with_a_location(text: str) -> None:
    try:
        with hang_guard(HANG_SECONDS):
            compile_source(text, "prog.m")
        OUTCOMES["compiled"] += 1
    except CompileError as err:
        assert err.loc is not None and err.loc.line >= 1, err.message
        assert err.severity == "error", err.message
        OUTCOMES["error"] += 1
    except BaseException:
        OUTCOMES["other"] += 1
        raise
