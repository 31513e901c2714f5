"""Typed reading of xDSL symbol references, which the backends and the runtime resolve."""

from __future__ import annotations

from xdsl.dialects.builtin import SymbolRefAttr


def symbol_name(ref: SymbolRefAttr) -> str:
    """The referenced symbol's name, nested references joined with dots (what xDSL's
    `string_value` returns, which xDSL leaves untyped)."""
    parts = [ref.root_reference, *ref.nested_references.data]
    return ".".join(part.data for part in parts)
