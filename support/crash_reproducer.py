"""Crash reproducers: the IR before a crashing pass and the pipeline to rerun, in one file.

When a pass raises an unexpected exception, mopt writes the module as it was before the
top-level pass that crashed, in generic form with locations (as MLIR prints its
reproducers), under a first line that says how to rerun it:

    // configuration: --pass-pipeline='builtin.module(test-crash{message="boom"})'

`mopt --run-reproducer FILE` reads that line and reruns that pipeline, which crashes the
same way. A crash inside `func.func(a,b)` reruns that whole nested pipeline. When pass
plugins were loaded, the line names them first, by absolute path, and the rerun loads
them too:

    // configuration: --load-pass-plugin=/abs/div_to_mul.py --pass-pipeline='...'

Nothing is copied while passes run (a `clone()` per pass would cost more than most
passes): `RunningPasses` only tracks which passes are running. After a crash, the driver
rebuilds the module from its input and replays the top-level passes that had finished
(`replay_before`), which gives the same IR again, passes being deterministic.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass, PassPipeline

from mlang.support.ir_printing import IRPrinter
from mlang.support.pass_instrumentation import PassInstrumentation
from mlang.support.pass_manager import OpPipelinePass, format_pipeline

_CONFIGURATION = re.compile(
    r"^// configuration: (?P<plugins>.*?)--pass-pipeline='(?P<pipeline>.*)'$", re.MULTILINE
)
_PLUGIN_FLAG = "--load-pass-plugin="


@dataclass(frozen=True)
class ReproducerConfiguration:
    """What a reproducer's `// configuration:` line asks for."""

    pipeline: str
    plugins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Crash:
    """The innermost pass that was running, the op it ran on, and its top-level pass."""

    pass_: ModulePass
    op: Operation
    top_pass: ModulePass


@dataclass
class RunningPasses(PassInstrumentation):
    """The stack of passes running now, outermost first."""

    _stack: list[tuple[ModulePass, Operation]] = field(default_factory=list)

    def before_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Pushes `pass_`."""
        self._stack.append((pass_, op))

    def after_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Pops `pass_`, which finished."""
        self._stack.pop()

    def take_crash(self) -> Crash | None:
        """After a pass raised: what crashed (None if no pass was running); empties the stack."""
        stack, self._stack = self._stack, []
        if not stack:
            return None
        pass_, op = stack[-1]
        return Crash(pass_, op, stack[0][0])


def replay_before(
    crash: Crash, passes: Sequence[ModulePass], ctx: Context, module: ModuleOp
) -> None:
    """Applies to `module` the top-level `passes` that ran before the one that crashed."""
    index = next(i for i, pass_ in enumerate(passes) if pass_ is crash.top_pass)
    PassPipeline(_without_callbacks(passes[:index])).apply(ctx, module)


def reproducer_text(
    crash: Crash, module_before: ModuleOp, plugins: Sequence[str] = ()
) -> str:
    """The reproducer: the plugins to load and the pipeline to rerun, then the IR."""
    ir = IRPrinter(generic=True, debuginfo=True).to_text(module_before)
    flags = "".join(f"{_PLUGIN_FLAG}{shlex.quote(path)} " for path in plugins)
    pipeline = format_pipeline([crash.top_pass])
    return f"// configuration: {flags}--pass-pipeline='{pipeline}'\n{ir}"


def read_reproducer_configuration(text: str) -> ReproducerConfiguration | None:
    """The plugins and pipeline on a reproducer's `// configuration:` line, if it has one."""
    match = _CONFIGURATION.search(text)
    if match is None:
        return None
    try:
        words = shlex.split(match.group("plugins"))
    except ValueError:
        return None
    if not all(word.startswith(_PLUGIN_FLAG) for word in words):
        return None
    plugins = tuple(word.removeprefix(_PLUGIN_FLAG) for word in words)
    return ReproducerConfiguration(match.group("pipeline"), plugins)


def _without_callbacks(passes: Sequence[ModulePass]) -> tuple[ModulePass, ...]:
    """The same passes with nested pipelines rebuilt without instrumentation callbacks."""
    return tuple(
        OpPipelinePass(p.anchor, PassPipeline(_without_callbacks(p.pipeline.passes)))
        if isinstance(p, OpPipelinePass)
        else p
        for p in passes
    )
