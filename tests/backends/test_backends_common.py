"""What the torch and Triton code generators share: Python names and their error."""

from __future__ import annotations

import pytest
from xdsl.dialects import func

from mlang.backends.common.errors import CodegenError
from mlang.backends.common.names import identifier, python_names


def declaration(symbol: str) -> func.FuncOp:
    """A bodiless `func.func @symbol`."""
    return func.FuncOp.external(symbol, [], [])


def test_identifiers_avoid_reserved_names_and_invalid_characters() -> None:
    reserved = frozenset({"torch"})
    assert identifier("torch", reserved) == "torch_"
    assert identifier("fc1.weight", reserved) == "fc1_weight"
    assert identifier("0x", reserved) is None
    assert identifier(None, reserved) is None


def test_functions_get_distinct_python_names() -> None:
    names = python_names([declaration(s) for s in ("a.b", "a_b", "torch", "1f")],
                         frozenset({"torch"}))
    assert names == {"a.b": "a_b", "a_b": "a_b_", "torch": "torch_", "1f": "function3"}


def test_two_functions_of_one_symbol_are_a_codegen_error() -> None:
    with pytest.raises(CodegenError, match="two functions are named @f"):
        python_names([declaration("f"), declaration("f")], frozenset())
