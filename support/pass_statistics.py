"""Pass statistics: counters that passes declare and increment, for `--mlir-pass-statistics`.

A pass declares each counter as a class attribute and adds to it as it works:

    from typing import ClassVar
    from mlang.support.pass_statistics import Statistic

    @dataclass(frozen=True)
    class FusePointwise(ModulePass):
        name = "fuse-pointwise"
        num_fused: ClassVar[Statistic] = Statistic("num-fused", "Number of ops fused")

        def apply(self, ctx: Context, op: ModuleOp) -> None:
            ...
            self.num_fused.add()        # or .add(n)

Counting is always on and costs an integer addition. The `PassStatistics`
instrumentation reads a pass's counters before and after each run and credits the
difference to that pass's place in the pipeline, so a pass listed twice reports twice,
and runs of a nested pass on many functions add up. The report, in MLIR's format:

    ===-------------------------------------------------------------------------===
                             ... Pass statistics report ...
    ===-------------------------------------------------------------------------===
    'func.func' Pipeline
      'fuse-pointwise'
        (S) 3 num-fused - Number of ops fused
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from xdsl.ir import Operation
from xdsl.passes import ModulePass

from mlang.support.pass_instrumentation import PassInstrumentation, report_header
from mlang.support.pass_manager import OpPipelinePass


@dataclass(eq=False)
class Statistic:
    """A named counter declared on a pass class; its value only grows."""

    name: str
    description: str
    value: int = 0

    def add(self, amount: int = 1) -> None:
        """Adds `amount` to the counter."""
        self.value += amount


def declared_statistics(pass_type: type[ModulePass]) -> list[Statistic]:
    """The statistics a pass class declares, those of its bases first."""
    found: dict[str, Statistic] = {}
    for klass in reversed(pass_type.__mro__):
        for attribute, value in vars(klass).items():
            if isinstance(value, Statistic):
                found[attribute] = value
    return list(found.values())


@dataclass
class PassStatistics(PassInstrumentation):
    """Credits each pass with what its statistics grew by while it ran."""

    _totals: dict[int, list[int]] = field(default_factory=dict)
    _starts: list[list[int]] = field(default_factory=list)

    def before_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Records the counters of `pass_` before it runs."""
        self._starts.append([s.value for s in declared_statistics(type(pass_))])

    def after_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Adds what the counters of `pass_` grew by to its totals."""
        start = self._starts.pop()
        now = [s.value for s in declared_statistics(type(pass_))]
        totals = self._totals.setdefault(id(pass_), [0] * len(now))
        for index, (before, after) in enumerate(zip(start, now, strict=True)):
            totals[index] += after - before

    def report(self, passes: Sequence[ModulePass], stream: IO[str]) -> None:
        """Writes each pass of pipeline `passes` and its statistics, nested ones indented."""
        stream.write(report_header("Pass statistics report"))
        self._report_passes(passes, 0, stream)

    def _report_passes(self, passes: Sequence[ModulePass], indent: int, stream: IO[str]) -> None:
        """Writes the entries of `passes` at `indent` spaces."""
        pad = " " * indent
        for pass_ in passes:
            if isinstance(pass_, OpPipelinePass):
                stream.write(f"{pad}'{pass_.anchor}' Pipeline\n")
                self._report_passes(pass_.pipeline.passes, indent + 2, stream)
                continue
            stream.write(f"{pad}'{pass_.name}'\n")
            statistics = declared_statistics(type(pass_))
            totals = self._totals.get(id(pass_), [0] * len(statistics))
            for statistic, total in zip(statistics, totals, strict=True):
                stream.write(f"{pad}  (S) {total} {statistic.name} - {statistic.description}\n")
