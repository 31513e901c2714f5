"""Fuzzing the whole frontend (parse, check, IR generation, verification): mutated example
programs either compile or fail with a located `CompileError`, never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlang.frontend import compile_source
from mlang.frontend.lexer import tokenize
from mlang.support.diagnostics import CompileError

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.m"))
SOURCES = {p.name: p.read_text() for p in EXAMPLES}
# Replacement tokens that stress the checker: wrong kinds, sizes, names and literals.
VOCABULARY = ["0", "-1", "1", "3", "64", "2.5", "1e9", '"x"', '"mse"', "true", "none", "f32",
              "i64", "x", "N", "net", "train", "relu", "Linear", "(", ")", "[", "]", ",", ":",
              "+", "*", "@", "|>", ".", "..", "=", "let", "for", "if", "return", "\n"]


def token_spans(text: str, file: str) -> list[tuple[int, int]]:
    """Character spans of the tokens of `text` (line/col mapped back to offsets)."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans = []
    for tok in tokenize(text, file):
        if tok.text:
            begin = starts[tok.loc.line - 1] + tok.loc.col - 1
            spans.append((begin, begin + len(tok.text)))
    return spans


@st.composite
def mutated_program(draw: st.DrawFn) -> tuple[str, str]:
    """An example with a few tokens deleted, duplicated or replaced."""
    name = draw(st.sampled_from(sorted(SOURCES)))
    text = SOURCES[name]
    spans = token_spans(text, name)
    for _ in range(draw(st.integers(1, 3))):
        lo, hi = spans[draw(st.integers(0, len(spans) - 1))]
        action = draw(st.sampled_from(["delete", "duplicate", "replace"]))
        if action == "delete":
            text = text[:lo] + text[hi:]
        elif action == "duplicate":
            text = text[:hi] + " " + text[lo:hi] + text[hi:]
        else:
            text = text[:lo] + draw(st.sampled_from(VOCABULARY)) + text[hi:]
        spans = [s for s in spans if s[1] <= min(lo, len(text))] or spans[:1]
    return name, text


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_program())
def test_mutated_examples_compile_or_fail_with_a_location(case: tuple[str, str]) -> None:
    name, text = case
    try:
        compile_source(text, name)
    except CompileError as err:
        assert err.loc is not None and err.loc.line >= 1 and err.loc.col >= 1, err.message


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_compile(path: Path) -> None:
    compile_source(path.read_text(), str(path))
