"""Turns a parsed pipeline into xDSL passes: pass lookup, options, named pipelines, nesting.

Each `PassRef` becomes an instance of its registered pass class, its options read by
xDSL (`parse_spec`, then `from_spec`); a named pipeline is replaced by its own passes;
each `NestedPipeline` such as `func.func(cse)` becomes an `OpPipelinePass` that runs its
inner `PassPipeline` on every `func.func` directly inside the op it is applied to.
Every `PassPipeline` built, inner ones included, gets the same callback, so that
instrumentations see nested passes too. The top-level pipeline runs with the garbage
collector paused (`support/collector.py`).

Errors are `CompileError`s located in the pipeline text, registered as `PIPELINE_FILE`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xdsl.passes import ModulePass, PassPipeline
from xdsl.utils.arg_spec import ArgSpec, parse_spec
from xdsl.utils.exceptions import ArgSpecParseError

from mlang.support.collector import collector_paused
from mlang.support.diagnostics import CompileError, InternalError, Loc
from mlang.support.pass_pipeline import (
    NestedPipeline,
    PassRef,
    PipelineElement,
    PipelineSyntaxError,
    parse_pass_list,
)

if TYPE_CHECKING:
    from xdsl.context import Context
    from xdsl.dialects.builtin import ModuleOp
    from xdsl.passes import PassPipelineCallbackType

PIPELINE_FILE = "<pass-pipeline>"

# xDSL's ArgSpecParseError keeps only its rendered text: "pass-pipeline:1:COL\n...\n  MSG".
_ARG_SPEC_COLUMN = re.compile(r"pass-pipeline:1:(\d+)\n")


@dataclass(frozen=True)
class OpPipelinePass(ModulePass):
    """Runs `pipeline` on each op named `anchor` directly inside the op it is applied to."""

    name = "op-pipeline"

    anchor: str
    pipeline: PassPipeline

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Applies the inner pipeline to every anchored child op, in order."""
        targets = [
            child
            for region in op.regions
            for block in region.blocks
            for child in block.ops
            if child.name == self.anchor
        ]
        for target in targets:
            # Inner passes get the anchored op where xDSL's signature says ModuleOp:
            # passes that only walk their root (canonicalize, cse, patterns) accept any op.
            self.pipeline.apply(ctx, target)  # pyright: ignore[reportArgumentType]


@dataclass(frozen=True)
class CompilePipeline(PassPipeline):
    """A `PassPipeline` that runs with the cyclic garbage collector paused: passes build
    far more IR than they free, and collections would traverse all of it again and again."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Runs the passes in order on `op`, the collector paused."""
        with collector_paused():
            super().apply(ctx, op)


@dataclass(frozen=True)
class PipelineBuilder:
    """Builds `PassPipeline`s from parsed elements, against the given registries."""

    passes: dict[str, Callable[[], type[ModulePass]]]
    pipelines: dict[str, tuple[str, str]]
    callback: PassPipelineCallbackType | None = None

    def build(self, top: NestedPipeline) -> PassPipeline:
        """Builds the pipeline `builtin.module(...)` that runs on the input module."""
        if top.anchor != "builtin.module":
            raise _error(
                top.col,
                f"the top-level pipeline must be anchored on 'builtin.module', not '{top.anchor}'",
            )
        return CompilePipeline(self._build_list(top.elements, ()), self.callback)

    def _build_list(
        self, elements: Sequence[PipelineElement], stack: tuple[PassRef, ...]
    ) -> tuple[ModulePass, ...]:
        """Builds the passes of `elements`; `stack` holds the named pipelines being expanded."""
        built: list[ModulePass] = []
        for element in elements:
            if isinstance(element, NestedPipeline):
                inner = PassPipeline(self._build_list(element.elements, stack), self.callback)
                built.append(OpPipelinePass(element.anchor, inner))
            elif element.name in self.pipelines:
                built.extend(self._expand(element, stack))
            else:
                built.append(self._instantiate(element, stack))
        return tuple(built)

    def _expand(self, ref: PassRef, stack: tuple[PassRef, ...]) -> tuple[ModulePass, ...]:
        """Builds the passes that the named pipeline `ref` stands for."""
        where = _origin(ref, stack)
        if ref.has_options:
            raise _error(where.col, f"{_prefix(stack)}pipeline '{ref.name}' takes no options")
        if any(outer.name == ref.name for outer in stack):
            raise _error(where.col, f"{_prefix(stack)}pipeline '{ref.name}' expands to itself")
        text = self.pipelines[ref.name][1]
        try:
            elements = parse_pass_list(text)
        except PipelineSyntaxError as err:
            prefix = _prefix((*stack, ref))
            raise _error(where.col, f"{prefix}column {err.col}: {err.message}") from None
        return self._build_list(elements, (*stack, ref))

    def _instantiate(self, ref: PassRef, stack: tuple[PassRef, ...]) -> ModulePass:
        """Creates the pass `ref` names, with its options."""
        where = _origin(ref, stack)
        if ref.name not in self.passes:
            raise _error(
                where.col, f"{_prefix(stack)}unknown pass '{ref.name}'{self._suggestion(ref.name)}"
            )
        spec = _parse_options(ref, where, stack)
        try:
            pass_type = self.passes[ref.name]()
        except Exception as err:  # A broken pass module: say which pass, and where it is used.
            message = f"cannot load pass '{ref.name}': {type(err).__name__}: {err}"
            raise _error(where.col, message, InternalError) from err
        try:
            return pass_type.from_spec(_checked_options(pass_type, spec))
        except (ValueError, TypeError) as err:
            raise _error(
                where.col, f"{_prefix(stack)}invalid options for pass '{ref.name}': {err}"
            ) from None

    def _suggestion(self, name: str) -> str:
        """Returns `; did you mean 'x'?` for the closest registered name, if any is close."""
        close = difflib.get_close_matches(name, [*self.passes, *self.pipelines], n=1)
        return f"; did you mean '{close[0]}'?" if close else ""


def format_pipeline(passes: Sequence[ModulePass], anchor: str = "builtin.module") -> str:
    """Prints passes as MLIR's `anchor(a{opt=v},func.func(b))`, every option spelt out so
    that the text reads back as the same passes (crash reproducers replay it)."""
    inner = ",".join(
        format_pipeline(p.pipeline.passes, p.anchor)
        if isinstance(p, OpPipelinePass)
        else _spec_text(p.spec(include_default=True))
        for p in passes
    )
    return f"{anchor}({inner})"


def _spec_text(spec: ArgSpec) -> str:
    """`name{a=1 b="x"}`, as xDSL prints a spec but with quotes and backslashes in
    strings escaped (xDSL leaves `"say "hi""`, which does not read back)."""
    if not spec.parameters:
        return spec.name
    options = " ".join(f"{name}={','.join(_spelt(v) for v in values)}" if values else name
                       for name, values in spec.parameters.items())
    return f"{spec.name}{{{options}}}"


def _parse_options(ref: PassRef, where: PassRef, stack: tuple[PassRef, ...]) -> ArgSpec:
    """Reads `name{...}` with xDSL's option parser, locating its errors in the pipeline.
    A bare value that xDSL's parser does not take (`dataset=d.csv`, a path) is read as a
    string, as MLIR reads it."""
    try:
        return parse_spec(ref.spec)
    except ArgSpecParseError as err:
        quoted = _BARE_VALUE.sub(_quote_bare, ref.spec)
        if quoted != ref.spec:
            try:
                return parse_spec(quoted)
            except ArgSpecParseError:
                pass  # report the error in the text as written
        text = str(err)
        message = text.rstrip().rsplit("\n", 1)[-1].strip()
        match = _ARG_SPEC_COLUMN.search(text)
        col = ref.col + int(match.group(1)) - 1 if match and not stack else where.col
        raise _error(
            col, f"{_prefix(stack)}invalid options for pass '{ref.name}': {message}"
        ) from None


_BARE_VALUE = re.compile(r'(?<==)([^\s"{}=,]+)(?=[\s,}])')
"""An unquoted option value (or list item after `=`), up to a space, comma or `}`."""
_PLAIN_VALUE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
"""A bare value xDSL reads as it is: a word, or a number."""


def _quote_bare(match: re.Match[str]) -> str:
    """A bare value quoted, unless xDSL reads it as it is."""
    value = match.group(1)
    return value if _PLAIN_VALUE.fullmatch(value) else f'"{value}"'


_OPTION_KINDS: dict[object, tuple[str, tuple[type, ...]]] = {
    str: ("a string", (str,)),
    int: ("an integer", (int,)),
    float: ("a number", (int, float)),
    bool: ("true or false", (bool,)),
}
"""What an option of each Python type takes, in words, and the values that are that."""


def _checked_options(pass_type: type[ModulePass], spec: ArgSpec) -> ArgSpec:
    """`spec` with each value of a str, int, float or bool option checked, so that a wrong
    one is named in words (xDSL's message prints Python's types and no option name), and
    an integer given for a float option made a float (`percentile=50`), as MLIR reads it."""
    given = dict(spec.normalize_parameter_names().parameters)
    hints = typing.get_type_hints(pass_type)
    for option in dataclasses.fields(pass_type):
        values = given.get(option.name)
        kind = _OPTION_KINDS.get(hints.get(option.name))
        if values is None or kind is None:
            continue
        words, accepted = kind
        if len(values) != 1 or isinstance(values[0], bool) != (bool in accepted) \
                or not isinstance(values[0], accepted):
            shown = ", ".join(_spelt(v) for v in values)
            raise ValueError(f"option '{option.name.replace('_', '-')}' takes {words}, "
                             f"got {shown}")
        if float in accepted:
            given[option.name] = (float(values[0]),)
    return ArgSpec(spec.name, given)


def _spelt(value: object) -> str:
    """An option value as it is written in a pipeline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _origin(ref: PassRef, stack: tuple[PassRef, ...]) -> PassRef:
    """The reference in the user's text that an error at `ref` is reported at."""
    return stack[0] if stack else ref


def _prefix(stack: tuple[PassRef, ...]) -> str:
    """`in pipeline 'x': ` when the error lies inside the named pipeline `x`."""
    return f"in pipeline '{stack[-1].name}': " if stack else ""


def _error(col: int, message: str, kind: type[CompileError] = CompileError) -> CompileError:
    """A CompileError (or `kind`) at column `col` of the pipeline text."""
    return kind(Loc(PIPELINE_FILE, 1, col), message)
