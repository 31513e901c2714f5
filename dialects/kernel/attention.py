"""Recognises scaled dot-product attention in a kernel body (placeholder)."""

from __future__ import annotations

from mlang.dialects.kernel.body import Body


def match_attention(body: Body) -> object:
    """The attention pattern of `body`, or a message saying why it is none."""
    return "attention bodies are not recognised yet"
