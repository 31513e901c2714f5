"""Matching values against declared types, with symbolic sizes.

Within one signature equal size names mean equal sizes; a hyper-parameter's name means
its value. `unify` binds each other name to the size it first meets and reports a
certain mismatch at the argument (or `return`) that causes it.
"""

from __future__ import annotations

import re
from typing import Protocol

from mlang.frontend import ast
from mlang.frontend.types import FLOAT, INT, SCALAR_TENSORS, MType, ScalarT, TensorT, TupleT
from mlang.frontend.values import Dyn, Seq, Static, StaticValue, Value, describe
from mlang.support.diagnostics import CompileError, Loc
from mlang.support.shapes import Dim, dims_conflict

Subst = dict[str, int | str]
"""The sizes that the size names of one signature are bound to."""


class _Scope(Protocol):
    """What `unify` needs of a scope: looking names up."""

    def lookup(self, name: str) -> Value | None:
        """The value bound to `name`."""


def resolve_dim(d: ast.Dim, subst: Subst, scope: _Scope) -> Dim:
    """The size a written dimension stands for: a literal, a hyper-parameter, or a symbol."""
    if d.kind == "int":
        return d.value
    if d.kind == "any":
        return None
    name = str(d.value)
    bound = scope.lookup(name)
    if isinstance(bound, Static) and isinstance(bound.value, int) and not isinstance(
        bound.value, bool
    ):
        return bound.value
    return subst.get(name, name)


def declared_type(t: ast.TypeExpr, subst: Subst, scope: _Scope) -> MType:
    """The M type a written type stands for, symbols replaced by what they are bound to."""
    if isinstance(t, ast.TensorTypeExpr):
        return TensorT(t.dtype, tuple(resolve_dim(d, subst, scope) for d in t.dims))
    if isinstance(t, ast.ScalarTypeExpr):
        return ScalarT(t.name)
    return TupleT(tuple(declared_type(e, subst, scope) for e in t.elts))


def value_type(v: Value) -> MType | None:
    """The M type of a value (None for layers, models and functions)."""
    if isinstance(v, (Static, Dyn)):
        return v.type
    if isinstance(v, Seq) and v.is_tuple:
        items = [value_type(i) for i in v.items]
        known = [t for t in items if t is not None]
        return TupleT(tuple(known)) if len(known) == len(items) else None
    return None


def unify(t: ast.TypeExpr, v: Value, subst: Subst, scope: _Scope, loc: Loc, what: str) -> None:
    """Checks `v` against the written type `t`, binding size names in `subst`."""
    actual = value_type(v)
    expected = declared_type(t, subst, scope)
    if isinstance(t, ast.TupleTypeExpr):
        _unify_tuple(t, v, subst, scope, loc, what)
        return
    if isinstance(t, ast.ScalarTypeExpr):
        # A 0-d tensor stands for a number, as a method's number parameters are in IR.
        zero_d = (isinstance(actual, TensorT) and actual.shape == ()
                  and actual.dtype == SCALAR_TENSORS.get(t.name))
        ok = actual == expected or (expected == FLOAT and actual == INT) or zero_d
        if not ok:
            raise CompileError(loc, f"{what} must be {expected}, got {describe(v)}")
        return
    assert isinstance(t, ast.TensorTypeExpr)
    if isinstance(v, Static) and isinstance(v.value, (int, float)) and not t.dims:
        return
    if not isinstance(actual, TensorT) or actual.dtype != t.dtype:
        raise CompileError(loc, f"{what} must be {expected}, got {describe(v)}")
    if actual.shape is None:
        return
    if len(actual.shape) != len(t.dims):
        raise CompileError(loc, f"{what} must be {expected}, got {actual}")
    for d, a in zip(t.dims, actual.shape):
        _unify_dim(d, a, subst, scope, loc, what, expected, actual)


def _unify_dim(d: ast.Dim, a: Dim, subst: Subst, scope: _Scope, loc: Loc, what: str,
               expected: MType, actual: MType) -> None:
    """Unifies one written dimension with an actual size."""
    want = resolve_dim(d, subst, scope)
    if dims_conflict(want, a):
        raise CompileError(loc, f"{what} must be {expected}, got {actual}")
    if d.kind == "name" and isinstance(want, str) and want == d.value and a is not None:
        subst[want] = a


def _unify_tuple(t: ast.TupleTypeExpr, v: Value, subst: Subst, scope: _Scope, loc: Loc,
                 what: str) -> None:
    """Unifies a tuple result element by element."""
    items: list[Value]
    if isinstance(v, Seq) and v.is_tuple:
        items = list(v.items)
    elif isinstance(v, Static) and isinstance(v.value, tuple):
        items = [Static(x) for x in v.value]
    else:
        raise CompileError(loc, f"{what} must be a tuple, got {describe(v)}")
    if len(items) != len(t.elts):
        raise CompileError(loc, f"{what} must have {len(t.elts)} elements, got {len(items)}")
    for i, (et, ev) in enumerate(zip(t.elts, items)):
        unify(et, ev, subst, scope, loc, f"element {i} of {what}")


def specialised_name(name: str, values: list[StaticValue], taken: set[str]) -> str:
    """A readable symbol for a model specialised on hyper-parameter values."""
    parts = [name] + [_mangle(v) for v in values]
    base = "_".join(parts)
    symbol, n = base, 1
    while symbol in taken:
        n += 1
        symbol = f"{base}_{n}"
    return symbol


def _mangle(v: StaticValue) -> str:
    """One hyper-parameter value as part of a symbol name."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}".replace("-", "m").replace(".", "p").replace("+", "")
    if isinstance(v, int):
        return str(v).replace("-", "m")
    return re.sub(r"[^A-Za-z0-9]", "_", str(v))[:24]
