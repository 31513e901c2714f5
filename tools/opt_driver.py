"""The work behind `mopt`: read, split, parse, verify, run the pipeline, emit, report.

Every failure becomes a located diagnostic (`FILE:LINE:COL: error: ...`, the line, a
caret) and exit status 1; with `--verify-diagnostics` the diagnostics of each chunk are
instead checked against its `expected-*` annotations. Pass crashes are internal errors
with a crash reproducer. Nothing here prints a Python traceback unless asked to.
"""

from __future__ import annotations

import dataclasses
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import DiagnosticException

from mlang.dialects import make_context
from mlang.passes import get_all_pipelines
from mlang.runtime.passes import get_all_passes
from mlang.support.crash_reproducer import (
    Crash,
    RunningPasses,
    read_reproducer_configuration,
    replay_before,
    reproducer_text,
)
from mlang.support.diagnostic_verifier import (
    check_diagnostics,
    diagnostics_of,
    parse_expectations,
)
from mlang.support.diagnostics import (
    CompileError, InternalError, Loc, Note, SourceManager, describe_exception, render,
)
from mlang.support.ir_printing import IRPrinter, PrintIR, PrintIRConfig
from mlang.support.ir_verification import VerifyEachPass, op_loc, verify_located
from mlang.support.mlir_parsing import parse_mlir
from mlang.support.pass_instrumentation import PassInstrumentation, pipeline_callback
from mlang.support.pass_manager import PIPELINE_FILE, PipelineBuilder, format_pipeline
from mlang.support.pass_pipeline import (
    NestedPipeline,
    PipelineSyntaxError,
    parse_pass_list,
    parse_pass_pipeline,
)
from mlang.support.pass_statistics import PassStatistics
from mlang.support.pass_timing import PassTiming
from mlang.support.source_input import (
    SourceChunk, check_text, decode_utf8, read_input, split_source,
)
from mlang.tools.pass_plugins import PassPlugin, load_pass_plugins
from mlang.tools.targets import MlirTarget, Target, get_all_targets

_SPLIT_MARKERS = {"mlir": "// -----", "m": "# -----"}


@dataclass(frozen=True)
class OptOptions:
    """What mopt's command line asks for."""

    input: str = "-"
    output: str | None = None
    language: str | None = None
    target: str = "mlir"
    pass_pipeline: str | None = None
    passes: str | None = None
    pass_plugins: tuple[str, ...] = ()
    dump_pass_pipeline: bool = False
    split_input_file: bool = False
    verify_diagnostics: bool = False
    printer: IRPrinter = field(default_factory=IRPrinter)
    print_ir: PrintIRConfig = field(default_factory=PrintIRConfig)
    timing: bool = False
    statistics: bool = False
    reproducer: str | None = None
    run_reproducer: bool = False
    allow_unregistered_dialect: bool = False
    show_traceback: bool = False


def run_opt(options: OptOptions, stdout: IO[str], stderr: IO[str]) -> int:
    """Runs mopt as `options` say; returns the exit status."""
    driver = _Driver(options, stderr)
    try:
        return driver.run(stdout)
    except CompileError as err:
        driver.report(err)
    except BrokenPipeError:
        raise  # The reader went away: the console script exits quietly.
    except Exception as err:
        internal = InternalError(None, describe_exception(err))
        internal.__cause__ = err
        driver.report(internal)
    return 1


class _Driver:
    """One mopt run: its sources, context, pipeline and instrumentations."""

    def __init__(self, options: OptOptions, stderr: IO[str]):
        self.options = options
        self.stderr = stderr
        self.sources = SourceManager()
        self.ctx: Context = make_context(options.allow_unregistered_dialect)
        self.running = RunningPasses()
        self.timing = PassTiming() if options.timing else None
        self.statistics = PassStatistics() if options.statistics else None
        self.pipeline = PassPipeline(())
        self.plugins: tuple[PassPlugin, ...] = ()

    def run(self, stdout: IO[str]) -> int:
        """Processes every chunk of the input; 0 if all succeeded (or verified)."""
        file, text = self._read()
        self.pipeline = self._build_pipeline(text)
        target = self._target()
        chunks = split_source(text, file, self._split_marker(file))
        results = [self._process(chunk, target) for chunk in chunks]
        succeeded = all(ok for ok, _ in results)
        outputs = [output for ok, output in results if output is not None]
        # As mlir-opt, a failed run leaves -o's file alone rather than clobber it.
        if succeeded or self.options.output is None:
            self._write("// -----\n".join(outputs), stdout)
        self._write_reports()
        return 0 if succeeded else 1

    def report(self, err: CompileError) -> None:
        """Prints a diagnostic, and the Python traceback behind it if asked to."""
        self.stderr.write(render(err, self.sources))
        if self.options.show_traceback and err.__cause__ is not None:
            traceback.print_exception(err.__cause__, file=self.stderr)

    def _read(self) -> tuple[str, str]:
        """Reads and decodes the input file."""
        file, data = read_input(self.options.input)
        # Bytes that are not text are not quoted under an error: registered as no lines.
        self.sources.add(file, "")
        check_text(data, file)
        # Remembered before decoding, so that an encoding error can quote its line.
        self.sources.add(file, data.decode("utf-8", errors="replace"))
        return file, decode_utf8(data, file)

    def _build_pipeline(self, input_text: str) -> PassPipeline:
        """Loads the pass plugins, then parses and builds the pipeline given by -p,
        --pass-pipeline or a reproducer."""
        text, plugins = self._requested_pipeline(input_text)
        self.plugins = load_pass_plugins(plugins)
        top = self._parse_pipeline(text)
        self._check_print_ir_names()
        instrumentations = self._instrumentations()
        builder = PipelineBuilder(
            get_all_passes(), get_all_pipelines(), pipeline_callback(instrumentations)
        )
        pipeline = builder.build(top)
        if self.options.dump_pass_pipeline:
            self.stderr.write(
                f"Pass Manager with {len(pipeline.passes)} passes:\n"
                f"{format_pipeline(pipeline.passes)}\n\n"
            )
        return pipeline

    def _requested_pipeline(self, input_text: str) -> tuple[str | None, tuple[str, ...]]:
        """The --pass-pipeline text (None: take -p's list) and the plugins to load, from
        the command line or, with --run-reproducer, also from the input."""
        options = self.options
        if options.pass_pipeline is not None and options.passes is not None:
            raise CompileError(None, "-p and --pass-pipeline cannot be used together")
        if not options.run_reproducer:
            return options.pass_pipeline, options.pass_plugins
        if options.pass_pipeline is not None or options.passes is not None:
            raise CompileError(None, "--run-reproducer takes the pipeline from the input")
        configuration = read_reproducer_configuration(input_text)
        if configuration is None:
            raise CompileError(
                None,
                "--run-reproducer: the input has no "
                "'// configuration: --pass-pipeline=...' line",
            )
        return configuration.pipeline, (*options.pass_plugins, *configuration.plugins)

    def _parse_pipeline(self, text: str | None) -> NestedPipeline:
        """The pipeline's tree, from `text` (None: -p's list); the text parsed is
        remembered as PIPELINE_FILE for diagnostics."""
        passes = self.options.passes
        self.sources.add(PIPELINE_FILE, text if text is not None else passes or "")
        try:
            if text is not None:
                return parse_pass_pipeline(text)
            return NestedPipeline("builtin.module", parse_pass_list(passes or ""), 1)
        except PipelineSyntaxError as err:
            raise CompileError(Loc(PIPELINE_FILE, 1, err.col), err.message) from None

    def _check_print_ir_names(self) -> None:
        """Rejects a pass name in --mlir-print-ir-before/after that no pass has, as MLIR
        does: a misspelt name would otherwise print nothing, silently."""
        config = self.options.print_ir
        for flag, names in (("before", config.before), ("after", config.after)):
            unknown = sorted(names - set(get_all_passes()))
            if unknown:
                raise CompileError(
                    None, f"--mlir-print-ir-{flag}: unknown pass '{unknown[0]}' (see --list-passes)"
                )

    def _instrumentations(self) -> list[PassInstrumentation]:
        """The hooks around each pass, the timer last so that it times the pass alone."""
        options = self.options
        hooks: list[PassInstrumentation] = [VerifyEachPass()]
        if options.print_ir.enabled:
            hooks.append(PrintIR(options.print_ir, options.printer, self.stderr))
        hooks.append(self.running)
        hooks += [hook for hook in (self.statistics, self.timing) if hook is not None]
        return hooks

    def _target(self) -> Target:
        """The emitter for -t, given the printing flags when it prints MLIR."""
        target = get_all_targets()[self.options.target]
        if isinstance(target, MlirTarget):
            printer = self.options.printer
            return dataclasses.replace(target, generic=printer.generic, debuginfo=printer.debuginfo)
        return target

    def _split_marker(self, file: str) -> str | None:
        """The chunk separator for --split-input-file, None without it."""
        return _SPLIT_MARKERS[self._language(file)] if self.options.split_input_file else None

    def _language(self, file: str) -> str:
        """`m` or `mlir`: from -x, else from the file's extension."""
        return self.options.language or ("m" if file.endswith(".m") else "mlir")

    def _process(self, chunk: SourceChunk, target: Target) -> tuple[bool, str | None]:
        """Compiles one chunk; returns whether it succeeded (or verified) and its output."""
        errors: list[CompileError] = []
        output: str | None = None
        try:
            output = self._compile(chunk, target)
        except CompileError as err:
            errors.append(err)
        except MemoryError:
            # Whatever was being built is garbage now: the chunk is blamed, not mopt.
            errors.append(CompileError(Loc(chunk.file, chunk.first_line, 1),
                                       "out of memory processing this input"))
        if not self.options.verify_diagnostics:
            for error in errors:
                self.report(error)
            return not errors, output
        return self._verify_diagnostics(chunk, errors), output

    def _compile(self, chunk: SourceChunk, target: Target) -> str:
        """Parses, verifies, transforms and emits one chunk."""
        with self._phase("Parser"):
            module = self._parse(chunk)
        with self._phase("Verifier"):
            verify_located(module)
        self._run_pipeline(module, chunk)
        with self._phase("Output"):
            stream = StringIO()
            try:
                target(module, self.ctx, stream)
            except CompileError:
                raise
            except Exception as err:
                raise InternalError(
                    _located(module, chunk),
                    f"target '{self.options.target}' failed: {describe_exception(err)}",
                ) from err
        return stream.getvalue()

    def _parse(self, chunk: SourceChunk) -> ModuleOp:
        """Parses a chunk with the MLIR parser or the M frontend."""
        if self._language(chunk.file) == "mlir":
            return parse_mlir(self.ctx, chunk.text, chunk.file)
        try:
            from mlang.frontend import compile_source
        except ImportError as err:
            raise CompileError(None, f"cannot compile M: the frontend is missing ({err})") from err
        try:
            return compile_source(chunk.text, chunk.file, self.sources)
        except CompileError:
            raise
        except Exception as err:
            loc = Loc(chunk.file, chunk.first_line, 1)
            raise InternalError(loc, f"frontend failed: {describe_exception(err)}") from err

    def _run_pipeline(self, module: ModuleOp, chunk: SourceChunk) -> None:
        """Runs the pipeline; a crashing pass is an internal error with a reproducer."""
        try:
            self.pipeline.apply(self.ctx, module)
        except CompileError:
            self.running.take_crash()
            raise
        except Exception as err:
            crash = self.running.take_crash()
            if crash is None:
                raise InternalError(_located(module, chunk), describe_exception(err)) from err
            loc = _located(crash.op, chunk)
            if isinstance(err, DiagnosticException):
                # xDSL's way for a pass to fail on purpose: a diagnostic, not a crash.
                raise CompileError(loc, f"pass '{crash.pass_.name}' failed: {err}") from err
            message = f"pass '{crash.pass_.name}' failed: {describe_exception(err)}"
            raise InternalError(loc, message, [self._write_reproducer(crash, chunk)]) from err

    def _write_reproducer(self, crash: Crash, chunk: SourceChunk) -> Note:
        """Writes the crash reproducer to the path given, else to a new temporary file."""
        try:
            # The IR before the crashed pass: the input again, through the passes before it.
            module = self._parse(chunk)
            replay_before(crash, self.pipeline.passes, self.ctx, module)
            plugins = [str(plugin.resolved) for plugin in self.plugins]
            text = reproducer_text(crash, module, plugins)
        except Exception as err:
            reason = describe_exception(err)
            return Note(None, f"no reproducer written: replaying the pipeline failed: {reason}")
        try:
            path = self._reproducer_path()
            path.write_text(text, encoding="utf-8")
        except OSError as err:
            return Note(None, f"no reproducer written: {err}")
        return Note(None, f"reproducer written to {path}")

    def _reproducer_path(self) -> Path:
        """The path given for reproducers, else a new temporary file."""
        if self.options.reproducer is not None:
            return Path(self.options.reproducer)
        with tempfile.NamedTemporaryFile(
            prefix="mopt-reproducer-", suffix=".mlir", delete=False
        ) as stream:
            return Path(stream.name)

    def _verify_diagnostics(self, chunk: SourceChunk, errors: list[CompileError]) -> bool:
        """Checks a chunk's diagnostics against its annotations; prints each mismatch."""
        try:
            expectations = parse_expectations(chunk.text, chunk.file)
        except CompileError as err:
            self.report(err)
            return False
        emitted = [diagnostic for err in errors for diagnostic in diagnostics_of(err)]
        problems = check_diagnostics(chunk.file, expectations, emitted)
        for problem in problems:
            self.report(problem)
        return not problems

    def _write(self, text: str, stdout: IO[str]) -> None:
        """Writes the output to -o's file, or to stdout."""
        if self.options.output is None:
            stdout.write(text)
            stdout.flush()
            return
        try:
            Path(self.options.output).write_text(text, encoding="utf-8")
        except OSError as err:
            raise CompileError(
                None, f"cannot write output file '{self.options.output}': {err.strerror}"
            ) from None

    def _write_reports(self) -> None:
        """Prints the statistics and timing reports that were asked for."""
        if self.statistics is not None:
            self.statistics.report(self.pipeline.passes, self.stderr)
        if self.timing is not None:
            self.timing.report(self.pipeline.passes, self.stderr)

    @contextmanager
    def _phase(self, name: str) -> Iterator[None]:
        """Times the enclosed code as a row of the timing report, when timing."""
        if self.timing is None:
            yield
            return
        with self.timing.phase(name):
            yield


def _located(op: Operation, chunk: SourceChunk) -> Loc:
    """Where `op` is, else the chunk's first line: the module that the M frontend makes
    carries no location, and every diagnostic must name a file and line."""
    return op_loc(op) or Loc(chunk.file, chunk.first_line, 1)
