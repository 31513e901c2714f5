"""Names while IR is generated: the scopes that bind them, the frame of the body being
generated, and the names that every program starts with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from xdsl.ir import Operation

from mlang.frontend import ast
from mlang.frontend.emitter import Emitter
from mlang.frontend.host_functions import HOST_FUNCTIONS
from mlang.frontend.layers import SIGNATURES as LAYER_SIGNATURES
from mlang.frontend.tensor_functions import FUNCTIONS
from mlang.frontend.types import DTYPES
from mlang.frontend.values import (
    BuiltinRef, DType, Field, MethodRef, ModelClass, Static, StaticValue, Value,
)
from mlang.support.diagnostics import CompileError, Loc, did_you_mean


class Scope:
    """Names visible at a point of the program, with a parent scope."""

    def __init__(self, parent: Scope | None = None, names: dict[str, Value] | None = None):
        self.parent = parent
        self.names: dict[str, Value] = dict(names or {})

    def lookup(self, name: str) -> Value | None:
        """The value bound to `name` here or in an enclosing scope."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def visible(self) -> set[str]:
        """The names a program may write here (not the numbered stages nor `__model__`)."""
        out: set[str] = set()
        scope: Scope | None = self
        while scope is not None:
            out.update(n for n in scope.names if n.isidentifier() and not n.startswith("__"))
            scope = scope.parent
        return out

    def assign(self, name: str, value: Value) -> bool:
        """Rebinds `name` where it is defined; False when it is not defined."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                scope.names[name] = value
                return True
            scope = scope.parent
        return False


LoopKind = Literal["host", "unrolled", "unrolled_runtime_if", None]
"""How `break` and `continue` leave the innermost loop around a frame's statements: as
`model.break`/`model.continue` (a host `model.for`), at compile time (a loop unrolled), or
not at all (under a run-time condition in an unrolled loop); None outside a loop."""


@dataclass
class Frame:
    """The state of one function body being generated (a method, an inlined call, main)."""

    em: Emitter
    scope: Scope
    model_scope: Scope | None = None
    result: Value | None = None
    returned: bool = False
    depth: int = 0
    loop: LoopKind = None
    jump: str | None = None  # "break" or "continue" when one ended these statements

    @property
    def is_host(self) -> bool:
        """Whether this is the host program itself, whose loops and conditions may be
        decided at run time and whose reassigned names are slots. A method or a function
        body, even one inlined into the host, unrolls its loops and decides its
        conditions at compile time, and its names are its own."""
        return self.depth == 0 and not self.em.in_model


class ConstEmitter(Emitter):
    """An emitter for expressions that must be known at compile time (fields, defaults)."""

    def insert(self, op: Operation, loc: Loc) -> Operation:
        """Refuses: nothing is computed at run time here."""
        raise CompileError(loc, "this value must be known at compile time")


def builtin_names() -> dict[str, Value]:
    """The names every program sees: built-in functions, layers, dtypes and `none`."""
    special = ("repeat", "print", "write", "standardize")
    names: dict[str, Value] = {n: BuiltinRef(n) for n in
                               (*FUNCTIONS, *HOST_FUNCTIONS, *LAYER_SIGNATURES, *special)}
    names.update({d: Static(DType(d)) for d in DTYPES})
    names["none"] = Static(None)
    return names


def model_scope(parent: Scope, decl: ast.ModelDecl, hparams: dict[str, StaticValue],
                fields: Mapping[str, Field]) -> Scope:
    """The names visible in a model's methods: hyper-parameters, fields and methods."""
    names: dict[str, Value] = {k: Static(v) for k, v in hparams.items()}
    names.update({m.name: MethodRef(None, m.name) for m in decl.methods})
    names.update(fields)
    names["__model__"] = ModelClass(decl)
    return Scope(parent, names)


def unknown_name(name: str, visible: Iterable[str]) -> str:
    """The message for a name that nothing binds, with the closest visible name."""
    return f"unknown name '{name}'" + did_you_mean(name, visible)


def where(frame: Frame) -> str:
    """What a frame that is not the host program generates, for messages."""
    return "a model" if frame.em.in_model else "a function"
