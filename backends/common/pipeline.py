"""What the compiling backends (torch, Triton) do before printing: run their pass
pipeline on a module (`run_passes`), and find the functions to print (`functions_in`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.utils.exceptions import DiagnosticException

from mlang.support.crash_reproducer import RunningPasses
from mlang.support.diagnostics import CompileError, InternalError, describe_exception
from mlang.support.ir_verification import op_loc

if TYPE_CHECKING:
    from xdsl.context import Context


def run_passes(module: ModuleOp, pipeline: str, backend: str,
               ctx: Context | None = None) -> None:
    """Runs `pipeline` (`-p` syntax) on `module` for `backend` (a name for messages). A
    pass that reports a diagnostic is a `CompileError`, any other failure an internal error;
    both name the pass and stand at the op it was working on."""
    from mlang.dialects import make_context
    from mlang.passes import get_all_passes, get_all_pipelines
    from mlang.support.pass_instrumentation import pipeline_callback
    from mlang.support.pass_manager import PipelineBuilder
    from mlang.support.pass_pipeline import NestedPipeline, parse_pass_list

    running = RunningPasses()
    builder = PipelineBuilder(get_all_passes(), get_all_pipelines(), pipeline_callback([running]))
    try:
        passes = builder.build(NestedPipeline("builtin.module", parse_pass_list(pipeline), 1))
    except CompileError as err:
        message = f"{backend}: cannot build the '{pipeline}' pipeline: {err.message}"
        raise InternalError(None, message) from err
    try:
        passes.apply(ctx or make_context(), module)
    except CompileError:
        raise
    except Exception as err:
        crash = running.take_crash()
        where = op_loc(crash.op) if crash is not None else None
        name = crash.pass_.name if crash is not None else pipeline
        message = f"{backend}: pass '{name}' failed: {describe_exception(err)}"
        if isinstance(err, DiagnosticException):
            raise CompileError(where, message) from err
        raise InternalError(where, message) from err


def functions_in(root: Operation) -> list[func.FuncOp]:
    """The `func.func`s nested anywhere in `root`, in order."""
    return [op for op in root.walk() if isinstance(op, func.FuncOp)]
