"""Crash reproducers: the IR before a crashing pass and the pipeline to rerun, in one file.

When a pass raises an unexpected exception, mopt writes the module as it was before the
top-level pass that crashed, in generic form with locations (as MLIR's reproducers are
printed), under a first line that says how to rerun it:

    // configuration: --pass-pipeline='builtin.module(test-crash{message="boom"})'

`mopt --run-reproducer FILE` reads that line and reruns that pipeline, which crashes the
same way. A crash inside `func.func(a,b)` reruns that whole nested pipeline from the
module before it. Keeping the module costs one `clone()` per top-level pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xdsl.ir import Operation
from xdsl.passes import ModulePass

from mlang.support.ir_printing import IRPrinter
from mlang.support.pass_instrumentation import PassInstrumentation
from mlang.support.pass_manager import format_pipeline

_CONFIGURATION = re.compile(r"^// configuration: --pass-pipeline='(.*)'$", re.MULTILINE)


@dataclass(frozen=True)
class Crash:
    """The innermost pass that was running, the op it ran on, and what reruns it."""

    pass_: ModulePass
    op: Operation
    pipeline: str
    module_before: Operation

    def reproducer_text(self) -> str:
        """The reproducer file's contents."""
        ir = IRPrinter(generic=True, debuginfo=True).to_text(self.module_before)
        return f"// configuration: --pass-pipeline='{self.pipeline}'\n{ir}"


@dataclass
class CrashReproducer(PassInstrumentation):
    """Keeps the module before each top-level pass and the stack of running passes."""

    _running: list[tuple[ModulePass, Operation]] = field(default_factory=list)
    _module_before: Operation | None = None

    def before_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Pushes `pass_`; before a top-level pass, keeps a copy of the module."""
        if not self._running:
            self._module_before = op.clone()
        self._running.append((pass_, op))

    def after_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Pops `pass_`, which finished."""
        self._running.pop()

    def take_crash(self) -> Crash | None:
        """After a pass raised: what crashed (None outside a pass); resets the stack."""
        running, self._running = self._running, []
        if not running or self._module_before is None:
            return None
        pass_, op = running[-1]
        pipeline = format_pipeline([running[0][0]])
        return Crash(pass_, op, pipeline, self._module_before)


def read_reproducer_pipeline(text: str) -> str | None:
    """The pipeline on a reproducer's `// configuration:` line, or None if it has none."""
    match = _CONFIGURATION.search(text)
    return match.group(1) if match else None
