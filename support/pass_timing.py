"""`--mlir-timing`: wall time per pass, and per driver phase, in MLIR's report format.

    ===-------------------------------------------------------------------------===
                             ... Execution time report ...
    ===-------------------------------------------------------------------------===
      Total Execution Time: 0.0123 seconds

      ----Wall Time----  ----Name----
        0.0040 ( 32.5%)  Parser
        0.0061 ( 49.6%)  'func.func' Pipeline
        0.0061 ( 49.6%)    cse
        0.0022 ( 17.9%)  Rest
        0.0123 (100.0%)  Total

Rows follow the pipeline's order; a pass that runs many times (once per function
under `func.func(...)`) or on many split chunks adds up into its one row.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from xdsl.ir import Operation
from xdsl.passes import ModulePass

from mlang.support.pass_instrumentation import PassInstrumentation, report_header
from mlang.support.pass_manager import OpPipelinePass

# A report row: indentation, name, seconds.
_Row = tuple[int, str, float]


@dataclass
class PassTiming(PassInstrumentation):
    """Accumulates the wall time of each pass and of named driver phases."""

    phases: dict[str, float] = field(default_factory=dict)
    _pass_seconds: dict[int, float] = field(default_factory=dict)
    _starts: list[float] = field(default_factory=list)
    _created: float = field(default_factory=time.perf_counter)

    def before_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Starts the clock for `pass_`."""
        self._starts.append(time.perf_counter())

    def after_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Adds the time `pass_` took to its row."""
        elapsed = time.perf_counter() - self._starts.pop()
        self._pass_seconds[id(pass_)] = self._pass_seconds.get(id(pass_), 0.0) + elapsed

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Times the enclosed code as the driver phase `name` (Parser, Output, ...)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start

    def report(self, passes: Sequence[ModulePass], stream: IO[str]) -> None:
        """Writes the report for pipeline `passes`; time spent elsewhere is `Rest`."""
        total = time.perf_counter() - self._created
        rows: list[_Row] = [(0, name, t) for name, t in self.phases.items() if name != "Output"]
        rows += self._pass_rows(passes, 0)
        if "Output" in self.phases:
            rows.append((0, "Output", self.phases["Output"]))
        accounted = sum(seconds for indent, _, seconds in rows if indent == 0)
        rows += [(0, "Rest", max(total - accounted, 0.0)), (0, "Total", total)]
        stream.write(report_header("Execution time report"))
        stream.write(f"  Total Execution Time: {total:.4f} seconds\n\n")
        stream.write("  ----Wall Time----  ----Name----\n")
        for indent, name, seconds in rows:
            percent = 100.0 * seconds / total if total else 0.0
            stream.write(f"  {seconds:8.4f} ({percent:5.1f}%)  {' ' * indent}{name}\n")

    def _pass_rows(self, passes: Sequence[ModulePass], indent: int) -> list[_Row]:
        """One row per pass in pipeline order, a nested pipeline followed by its passes."""
        rows: list[_Row] = []
        for pass_ in passes:
            seconds = self._pass_seconds.get(id(pass_), 0.0)
            if isinstance(pass_, OpPipelinePass):
                rows.append((indent, f"'{pass_.anchor}' Pipeline", seconds))
                rows += self._pass_rows(pass_.pipeline.passes, indent + 2)
            else:
                rows.append((indent, pass_.name, seconds))
        return rows
