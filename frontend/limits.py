"""Limits on how much IR a program may generate, each with a located error that names it.

Unrolled loops, `repeat(n, ...)` and inlined functions multiply the size of the IR; a
program that asks for millions of copies would otherwise run for minutes and then die of
a `MemoryError`. `Budget` counts, per program, what those sites generate, and refuses the
statement that goes past a limit. The limits are far beyond any real model (a transformer
of 96 blocks makes a few hundred layers) and small enough to fail in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlang.support.diagnostics import CompileError, Loc

MAX_LAYERS = 10_000
"""Copies that `repeat` may make, over the whole program."""
MAX_UNROLLED_ITERATIONS = 10_000
"""Iterations of loops unrolled at compile time, over the whole program."""
MAX_STATEMENTS = 20_000
"""Statements generated, over the whole program: inlining and unrolling repeat bodies."""

OUT_OF_MEMORY = "out of memory compiling this statement"


@dataclass
class Budget:
    """What one program has generated so far, checked against the limits."""

    layers: int = 0
    iterations: int = 0
    statements: int = 0

    def repeat(self, count: int, loc: Loc) -> None:
        """Counts `count` layers made by `repeat` at `loc`."""
        self.layers += count
        _check(self.layers, MAX_LAYERS, "layers made by repeat", loc)

    def unrolled_range(self, start: int, stop: int, loc: Loc) -> range:
        """`range(start, stop)`, counted as the iterations of a loop unrolled at `loc`
        before any is generated (or the list of them is made)."""
        count = max(0, stop - start)
        self.iterations += count
        _check(self.iterations, MAX_UNROLLED_ITERATIONS, "iterations of loops unrolled at "
               "compile time", loc)
        return range(start, stop)

    def statement(self, loc: Loc) -> None:
        """Counts one statement generated at `loc`."""
        self.statements += 1
        _check(self.statements, MAX_STATEMENTS, "statements generated (IR size: loops and "
               "functions expanded)", loc)


def _check(total: int, limit: int, what: str, loc: Loc) -> None:
    """Raises a `CompileError` at `loc` when `total` is past `limit`."""
    if total > limit:
        raise CompileError(loc, f"program too large: more than {limit} {what}, the limit "
                                "per program")


def out_of_memory(loc: Loc) -> CompileError:
    """The error for a `MemoryError` raised while compiling the statement at `loc`."""
    return CompileError(loc, OUT_OF_MEMORY)
