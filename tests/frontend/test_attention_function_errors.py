"""Wrong calls of `attention`, `rope` and `gelu` fail at the argument that is wrong."""

from __future__ import annotations

import pytest
from located_errors import located_error

HEAD = "model M() {\n  fn forward(q: f32[2, 4, 3, 8], k: f32[2, 3, 5, 8], x: f32[2, 4, 3, 7],\n" \
       "             m: bool[2, 2, 3, 5], p: i64[3]) -> f32[2, 4, 3, 8] {\n"


def error_at(body: str) -> tuple[int, int, str]:
    """The line, column and message of compiling `forward` returning `body`."""
    err = located_error(f"{HEAD}    return {body}\n  }}\n}}\nlet m = M()\n")
    assert err.loc is not None
    return err.loc.line, err.loc.col, err.message


@pytest.mark.parametrize("body, column, words", [
    ("attention(q, k, k)", 12, "not a multiple of 3 key/value heads"),
    ("attention(q, q, q, mask=m)", 31, "does not broadcast to the scores"),
    ("attention(q, q, q, causal=1)", 31, "causal must be true or false"),
    ("attention(q, q, p)", 28, "floating-point"),
    ('gelu(q, approximate="erf")', 20, 'approximate must be "none" or "tanh"'),
    ("rope(x, p)", 12, "head size 7 must be even"),
    ("rope(q, q)", 20, "integer positions"),
    ("rope(q, p, theta=0.0)", 23, "theta must be positive"),
])
def test_located_errors(body: str, column: int, words: str) -> None:
    line, col, message = error_at(body)
    assert (line, col) == (4, column) and words in message, (line, col, message)
