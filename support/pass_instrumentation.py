"""Hooks around every pass run, and their adapter to xDSL's `PassPipeline` callback.

An instrumentation sees each pass just before and just after it runs, together with
the op it runs on: the module for a top-level pass, the anchored op (a `func.func`, ...)
for a pass nested in `func.func(...)`. mopt builds its IR printing, verification, timing,
statistics and crash reproducer from them.

    class CountPasses(PassInstrumentation):
        def __init__(self) -> None:
            self.count = 0

        def after_pass(self, pass_: ModulePass, op: Operation) -> None:
            self.count += 1

    callback = pipeline_callback([CountPasses()])
    PassPipeline(passes, callback).apply(ctx, module)

`before_pass` hooks run in list order and `after_pass` hooks in reverse order, so that
the last instrumentation is the innermost: put a timer last and it measures the pass
alone. If a pass raises, no `after_pass` hook runs for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp
    from xdsl.ir import Operation
    from xdsl.passes import ModulePass, PassPipelineCallbackType


class PassInstrumentation:
    """Does nothing around each pass; subclasses override the hooks they need."""

    def before_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Called just before `pass_` runs on `op`."""

    def after_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Called just after `pass_` ran on `op` without raising."""


def pipeline_callback(instrumentations: Sequence[PassInstrumentation]) -> PassPipelineCallbackType:
    """Returns a `PassPipeline` callback that calls the hooks of `instrumentations`."""
    after_order = tuple(reversed(instrumentations))

    def callback(previous: ModulePass | None, op: ModuleOp, following: ModulePass | None) -> None:
        # xDSL types the op as ModuleOp; a nested pipeline hands its anchored op instead.
        if previous is not None:
            for instrumentation in after_order:
                instrumentation.after_pass(previous, op)
        if following is not None:
            for instrumentation in instrumentations:
                instrumentation.before_pass(following, op)

    return callback


def report_header(title: str) -> str:
    """MLIR's three-line banner over an instrumentation report, `... title ...` centred."""
    banner = "===" + "-" * 73 + "==="
    return f"{banner}\n{f'... {title} ...':^79}".rstrip() + f"\n{banner}\n"
