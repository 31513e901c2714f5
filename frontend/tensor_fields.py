"""Tensor fields of a model: `param` and `buffer` declarations, their initialisers, reads
of parameters as values inside methods (`cls_token`, `wte.weight`), and `tie A = B`.

An initialiser is a creation function of the hyper-parameters, evaluated at compile time
into one of the draws `model.param` declares: `zeros(shape)`, `ones(shape)`,
`full(shape, value)`, `randn(shape)` and `randn(shape) * std` (normal, N(0, std)).
"""

from __future__ import annotations

from collections.abc import Callable

from mlang.frontend import ast
from mlang.frontend.builtin_args import static_int
from mlang.frontend.emitter import Emitter
from mlang.frontend.scopes import Scope
from mlang.frontend.typecheck import declared_type
from mlang.frontend.types import TensorT, from_ir_type
from mlang.frontend.values import (
    Dyn, LayerSpec, Static, StaticValue, SubModel, TensorField, Value,
)
from mlang.support.diagnostics import CompileError, Loc
from mlang.support.shapes import fmt_shape

Evaluate = Callable[[ast.Expr], Value]
"""Evaluates an expression of the hyper-parameters (in a constant frame)."""

INITIALISERS = ("zeros", "ones", "full", "randn")

_USAGE = ("an initialiser must be zeros(SHAPE), ones(SHAPE), full(SHAPE, VALUE), "
          "randn(SHAPE) or randn(SHAPE) * STD")


def tensor_field(f: ast.Field, scope: Scope, evaluate: Evaluate, path: str) -> TensorField:
    """The tensor field that `param NAME: TYPE = INIT` (or `buffer ...`) declares."""
    assert f.type is not None  # the parser requires the type of a tensor field
    t = declared_type(f.type, {}, scope)
    assert isinstance(t, TensorT)
    if t.shape is None or not all(isinstance(d, int) for d in t.shape):
        raise CompileError(f.type.loc, f"{f.kind} '{f.name}' must have sizes known at compile "
                                       f"time (numbers or hyper-parameters), got {t}")
    if t.dtype != "f32":
        raise CompileError(f.type.loc, f"{f.kind} '{f.name}' must be f32, got {t.dtype}")
    init, scale, shape = initialiser(f.value, evaluate)
    if shape != t.shape:
        raise CompileError(f.value.loc, f"the initialiser of {f.kind} '{f.name}' has shape "
                                        f"{fmt_shape(shape)} but its type is {t}")
    return TensorField(f.kind, path, t, init, scale, f.loc)


def initialiser(e: ast.Expr, evaluate: Evaluate) -> tuple[str, float, tuple[int, ...]]:
    """The draw, its scale and the shape that an initialiser expression stands for."""
    if isinstance(e, ast.BinOp) and e.op == "*" and is_call(e.lhs, "randn"):
        assert isinstance(e.lhs, ast.Call)
        return "normal", number(evaluate(e.rhs), e.rhs.loc), shape_arg(e.lhs, evaluate)
    if not isinstance(e, ast.Call) or not isinstance(e.func, ast.Name) or \
            e.func.id not in INITIALISERS or e.kwargs:
        raise CompileError(e.loc, _USAGE)
    name = e.func.id
    if len(e.args) != (2 if name == "full" else 1):
        raise CompileError(e.loc, _USAGE)
    shape = shape_arg(e, evaluate)
    if name == "full":
        return "full", number(evaluate(e.args[1]), e.args[1].loc), shape
    return ("normal", 1.0, shape) if name == "randn" else (name, 0.0, shape)


def is_call(e: ast.Expr, name: str) -> bool:
    """Whether `e` is a call of the built-in `name`."""
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == name


def shape_arg(call: ast.Call, evaluate: Evaluate) -> tuple[int, ...]:
    """The static shape that is the first argument of a creation call."""
    if not call.args:
        raise CompileError(call.loc, _USAGE)
    v = evaluate(call.args[0])
    items: list[StaticValue] = []
    if isinstance(v, Static) and isinstance(v.value, (list, tuple)):
        items = list(v.value)
    elif isinstance(v, Static) and isinstance(v.value, int):
        items = [v.value]
    else:
        raise CompileError(call.args[0].loc, "the shape of an initialiser must be a list of "
                                             "sizes known at compile time")
    return tuple(static_int(Static(i), call.args[0].loc, "a size") for i in items)


def number(v: Value, loc: Loc) -> float:
    """A number known at compile time."""
    if isinstance(v, Static) and isinstance(v.value, (int, float)) and \
            not isinstance(v.value, bool):
        return float(v.value)
    raise CompileError(loc, "expected a number known at compile time")


def read_field(em: Emitter, value: Value, loc: Loc) -> Value:
    """A tensor field read as its tensor inside a method; any other value as it is."""
    if not isinstance(value, TensorField) or value.path not in em.params:
        return value
    return Dyn(em.param(value.path, loc), value.type)


def read_member(em: Emitter, owner: Value, name: str, loc: Loc) -> Value | None:
    """`layer.weight`, `sub.cls_token` inside a method: the parameter's tensor, or None
    when `owner.name` is no parameter."""
    path = owner.path if isinstance(owner, (LayerSpec, SubModel)) else None
    if path is None or f"{path}.{name}" not in em.params:
        return None
    if isinstance(owner, SubModel) and name in owner.fields:
        return read_field(em, owner.fields[name], loc)
    return Dyn(em.param(f"{path}.{name}", loc), from_ir_type(em.params[f"{path}.{name}"][1]))
