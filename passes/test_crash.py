"""`test-crash`: a test-only pass that always raises, to exercise mopt's crash handling.

Its lit test checks the `internal error: pass 'test-crash' failed` diagnostic and that
the crash reproducer mopt writes crashes the same way when rerun.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


@dataclass(frozen=True)
class TestCrash(ModulePass):
    """Test pass: raises RuntimeError(message), standing in for a buggy pass."""

    name = "test-crash"

    message: str = "deliberate crash"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Raises, whatever the IR."""
        raise RuntimeError(self.message)
