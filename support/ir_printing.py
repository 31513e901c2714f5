"""Printing IR with mopt's flags, and the `--mlir-print-ir-*` dumps around passes.

Dumps go to a stream (stderr in mopt) under MLIR's header,

    // -----// IR Dump After Canonicalize (canonicalize) //----- //

naming the pass class (less a `Pass` suffix) and the pass's registered name; a pass
nested in `func.func(...)` prints the function it ran on, with
`('func.func' operation: @f)` added to the header, as mlir-opt does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import StringIO
from typing import IO

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.printer import Printer

from mlang.support.pass_instrumentation import PassInstrumentation
from mlang.support.pass_manager import OpPipelinePass


@dataclass(frozen=True)
class IRPrinter:
    """How IR is printed: `generic` op form, `debuginfo` for `loc(...)` on each op."""

    generic: bool = False
    debuginfo: bool = False

    def print_op(self, op: Operation, stream: IO[str]) -> None:
        """Prints `op` and a final newline."""
        printer = Printer(stream, print_generic_format=self.generic, print_debuginfo=self.debuginfo)
        printer.print_op(op)
        stream.write("\n")

    def to_text(self, op: Operation) -> str:
        """Returns what `print_op` prints."""
        stream = StringIO()
        self.print_op(op, stream)
        return stream.getvalue()


@dataclass(frozen=True)
class PrintIRConfig:
    """Which dumps to print: before/after the named passes, after all, only on change."""

    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()
    after_all: bool = False
    after_change: bool = False

    @property
    def enabled(self) -> bool:
        """Whether any dump is asked for."""
        return bool(self.before or self.after or self.after_all or self.after_change)

    def prints_after(self, name: str) -> bool:
        """Whether to dump after pass `name` (`after_change` alone means after all)."""
        if self.after:
            return name in self.after
        return self.after_all or self.after_change


@dataclass
class PrintIR(PassInstrumentation):
    """Dumps the IR around passes as `config` asks, with `printer`, to `stream`."""

    config: PrintIRConfig
    printer: IRPrinter
    stream: IO[str]
    # The text of each op before its pass, kept only for `after_change`.
    _before: dict[int, str] = field(default_factory=dict)

    def before_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Dumps before `pass_` if asked; remembers the IR for `after_change`."""
        if isinstance(pass_, OpPipelinePass):
            return
        if pass_.name in self.config.before:
            self._dump("Before", pass_, op, self.printer.to_text(op))
        if self.config.after_change and self.config.prints_after(pass_.name):
            self._before[id(op)] = self.printer.to_text(op)

    def after_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Dumps after `pass_` if asked and, with `after_change`, if the IR changed."""
        if isinstance(pass_, OpPipelinePass) or not self.config.prints_after(pass_.name):
            return
        text = self.printer.to_text(op)
        if self.config.after_change and self._before.pop(id(op), None) == text:
            return
        self._dump("After", pass_, op, text)

    def _dump(self, when: str, pass_: ModulePass, op: Operation, text: str) -> None:
        """Writes one dump: MLIR's header, the IR, a blank line."""
        scope = "" if op.parent_op() is None else f" {_describe_op(op)}"
        header = f"// -----// IR Dump {when} {pass_display_name(pass_)} ({pass_.name}){scope}"
        self.stream.write(f"{header} //----- //\n{text}\n")


def pass_display_name(pass_: ModulePass) -> str:
    """The pass class's name without a `Pass` suffix: `CanonicalizePass` is `Canonicalize`."""
    name = type(pass_).__name__
    return name.removesuffix("Pass") or name


def _describe_op(op: Operation) -> str:
    """`('func.func' operation: @f)`: the op a nested pass ran on, with its symbol if any."""
    symbol = op.attributes.get("sym_name") or op.properties.get("sym_name")
    name = f": @{symbol.data}" if isinstance(symbol, StringAttr) else ""
    return f"('{op.name}' operation{name})"
