"""Fuzz tests of the frontend: whatever the input, a Program or a located CompileError.

Three sources of input: random bytes, random sequences of M tokens, and valid programs
with characters deleted, inserted or swapped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlang.frontend.lexer import KEYWORDS, OPERATORS
from mlang.frontend.parser import parse_file, parse_program
from mlang.support.diagnostics import CompileError, SourceManager, render

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

VALID_PROGRAMS = [
    """\
model Classifier(features: int, hidden: int, classes: int = 10) {
    fc1 = Linear(features, hidden)
    blocks = repeat(2, Linear(hidden, hidden))
    fn forward(x: f32[N, features]) -> f32[N, classes] {
        let h = relu(fc1(x))
        for b in blocks { h = h + gelu(b(h)) }
        for i in 0..2 { h = blocks[i](h) }
        if classes > 2 { h = h * 2.0 } else if not true { h = -h ** 2 } else { return h }
        return h |> softmax(axis=-1)
    }
}
""",
    """\
import "lib.m"
model Mlp(d: int, classes: int) = Linear(d, 64) |> gelu |> Dropout(0.1)
    |> Linear(64, classes)
fn mix(a: f32[?, 4], b: f32[]) -> (f32[?, 4], i64[]) { return (a @ b, argmax(a, 1)) }
""",
    """\
seed(0)  # a comment
let data = dataset("digits"); let (train, test) = split(data, 0.8)
let x = cast(train.x[0:4, ::2], f32)
print("acc:\\t", evaluate(net, test, metric="accuracy"), x[:, -1], [1, 2.5e-3], (1,))
loss = fit(net, train, epochs=2,
           lr=1e-3) / 2 == 1 or x != y and a <= b
""",
]

# The pieces that random token streams are made of: every keyword and operator, literals
# good and bad, names, and the characters that separate tokens or start comments.
VOCABULARY = sorted(KEYWORDS) + list(OPERATORS) + [
    "x", "f32", "int", "Linear", "0", "42", "3.5", "1e-3", '"s"', '"\\n"', "\n", ";", "#",
    '"open', "9" * 30, "$", "'", "é", "\t", "\r\n",
]

SEPARATORS = ["", " ", " ", "\n"]

token_streams = st.lists(
    st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(SEPARATORS)), max_size=60
).map(lambda pairs: "".join(tok + sep for tok, sep in pairs))

INSERTABLE = "(){}[],;:=|>.-*#\"\\\n 0a\x00é"


@st.composite
def mutated_programs(draw: st.DrawFn) -> str:
    """A valid program with a few characters deleted, inserted or swapped."""
    text = draw(st.sampled_from(VALID_PROGRAMS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(0, len(text) - 1))
        action = draw(st.sampled_from(["delete", "insert", "swap"]))
        if action == "delete":
            text = text[:i] + text[i + 1 + min(j % 8, len(text) - i - 1):]
        elif action == "insert":
            text = text[:i] + draw(st.sampled_from(INSERTABLE)) + text[i:]
        else:
            chars = list(text)
            chars[i], chars[j] = chars[j], chars[i]
            text = "".join(chars)
    return text


def check_text(text: str) -> None:
    """Parses `text`, allowing only success or a CompileError located inside the text."""
    try:
        parse_program(text, "t.m")
    except CompileError as err:
        check_error(err, text.splitlines() or [""])
        sources = SourceManager()
        sources.add("t.m", text)
        assert render(err, sources).startswith("t.m:")


def check_error(err: CompileError, lines: list[str]) -> None:
    """Checks that `err` is located at a real line and column (or just past the end)."""
    assert err.loc is not None
    assert 1 <= err.loc.line <= len(lines) + 1
    assert err.loc.col >= 1


def test_valid_programs_parse() -> None:
    for text in VALID_PROGRAMS:
        assert parse_program(text, "t.m").items


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch file that each example overwrites."""
    return tmp_path_factory.mktemp("fuzz") / "input.m"


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(fuzz_file: Path, data: bytes) -> None:
    fuzz_file.write_bytes(data)
    try:
        parse_file(fuzz_file)
    except CompileError as err:
        check_error(err, data.decode("utf-8", errors="replace").splitlines() or [""])


@FUZZ
@given(text=token_streams)
def test_random_token_streams(text: str) -> None:
    check_text(text)


@FUZZ
@given(text=mutated_programs())
def test_mutated_programs(text: str) -> None:
    check_text(text)
