"""The one way frontend tests compile a wrong program: its error must carry a location."""

from __future__ import annotations

import pytest

from mlang.frontend import compile_source
from mlang.support.diagnostics import CompileError


def located_error(source: str, file: str = "t.m") -> CompileError:
    """The compile error of `source`, which must fail and say where."""
    with pytest.raises(CompileError) as info:
        compile_source(source, file)
    assert info.value.loc is not None, info.value.message
    return info.value
