"""Binding call arguments to the parameters of built-in functions and layers.

Every built-in is described by a `Signature`: parameter names in order, with defaults.
`bind` matches positional and keyword arguments as Python does and reports mistakes at
the offending argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from mlang.frontend import ast
from mlang.frontend.values import StaticValue
from mlang.support.diagnostics import CompileError, Loc, did_you_mean

T = TypeVar("T")
D = TypeVar("D")


class Required:
    """Marks a parameter without a default."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = Required()


@dataclass(frozen=True)
class Signature(Generic[D]):
    """Parameter names in order, each with a default (of type `D`) or REQUIRED."""

    name: str
    params: tuple[tuple[str, D | Required], ...]

    @staticmethod
    def of(name: str, *params: str | tuple[str, StaticValue]) -> Signature[StaticValue]:
        """A built-in's signature, whose defaults are compile-time values:
        `Signature.of("fit", "model", "data", ("lr", 0.001))`."""
        return Signature(name, tuple(p if isinstance(p, tuple) else (p, REQUIRED) for p in params))

    @property
    def names(self) -> list[str]:
        """The parameter names in order."""
        return [n for n, _ in self.params]


@dataclass(frozen=True)
class Bound(Generic[T]):
    """The result of binding: each parameter's argument (or None when defaulted)."""

    args: dict[str, T | None]
    locs: dict[str, Loc]


def bind(sig: Signature[D], call: ast.Call, args: list[T], kwargs: dict[str, T]) -> Bound[T]:
    """Matches evaluated arguments to `sig`; a defaulted parameter maps to None."""
    if len(args) > len(sig.params):
        extra = call.args[len(sig.params)] if len(call.args) > len(sig.params) else call
        raise CompileError(
            extra.loc, f"{sig.name} takes at most {len(sig.params)} arguments, got {len(args)}"
        )
    out: dict[str, T | None] = {n: None for n in sig.names}
    locs: dict[str, Loc] = {}
    for i, ((name, _), value) in enumerate(zip(sig.params, args)):
        out[name] = value
        # Sequential stages pass their input without an AST node: use the call's location.
        locs[name] = call.args[i].loc if i < len(call.args) else call.loc
    for kw in call.kwargs:
        if kw.name not in out:
            raise CompileError(
                kw.loc,
                f"{sig.name} has no parameter '{kw.name}'; it takes: " + ", ".join(sig.names)
                + did_you_mean(kw.name, sig.names),
            )
        if kw.name in locs:
            raise CompileError(kw.loc, f"{sig.name} got two values for '{kw.name}'")
        out[kw.name] = kwargs[kw.name]
        locs[kw.name] = kw.loc
    for name, default in sig.params:
        if default is REQUIRED and out[name] is None:
            raise CompileError(call.loc, f"{sig.name} is missing its argument '{name}'")
    return Bound(out, locs)
