"""Name resolution of every model declaration, before any is specialised.

IR generation checks a model only when the host program instantiates it, with its
hyper-parameters' values. This pass checks every model, used or not, as far as no value
is needed: each name in its fields, stages and methods is bound (a layer, a function, a
field, a parameter, a variable), fields make layers, and calls whose callee is known
statically get the right arguments. Its messages are those of IR generation, which meets
the same mistakes in the models it specialises.

Local variables are collected from the whole body (parameters, `let`s, loop variables)
whatever the order, so that a valid body is never refused; a use before its `let` is left
to IR generation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from mlang.frontend import ast
from mlang.frontend.layers import SIGNATURES as LAYER_SIGNATURES
from mlang.frontend.models import COMPREHENSION_ONLY_IN_FIELDS, method_names, not_a_field
from mlang.frontend.scopes import Scope, builtin_names, unknown_name
from mlang.frontend.signatures import REQUIRED, Signature, bind
from mlang.frontend.tensor_functions import FUNCTIONS
from mlang.frontend.values import BuiltinRef, ModelClass, Static, Value
from mlang.support.diagnostics import CompileError, did_you_mean

D = TypeVar("D")


@dataclass(frozen=True)
class SubModelField:
    """A field that holds a model of the program (a layer field needs no more)."""

    decl: ast.ModelDecl


Binding = ast.ModelDecl | ast.FnDecl | SubModelField | BuiltinRef | None
"""What a name stands for, as far as this pass needs: a model, a function or method, a
sub-model field, a built-in, or None for any other value (a variable, a layer field)."""


class Names:
    """The names visible at one point, innermost first, each with its binding."""

    def __init__(self, *levels: dict[str, Binding]):
        self.levels = levels

    def __contains__(self, name: str) -> bool:
        return any(name in level for level in self.levels)

    def get(self, name: str) -> Binding:
        """The binding of a name that is visible."""
        return next(level[name] for level in self.levels if name in level)

    def inner(self, names: dict[str, Binding]) -> Names:
        """These names with `names` in front of them."""
        return Names(names, *self.levels)

    def visible(self) -> set[str]:
        """Every visible name a program may write."""
        return {n for level in self.levels for n in level
                if n.isidentifier() and not n.startswith("__")}


def check_declarations(decls: list[ast.ModelDecl | ast.FnDecl]) -> None:
    """Resolves the names of every model of the program, used or not."""
    globals_: dict[str, Binding] = {n: global_binding(v) for n, v in builtin_names().items()}
    globals_.update({d.name: d for d in decls})
    for d in decls:
        if isinstance(d, ast.ModelDecl):
            ModelChecker(d, Names(globals_)).check()


def global_binding(value: Value) -> Binding:
    """A built-in name's binding: a built-in function or layer, or a value."""
    return value if isinstance(value, BuiltinRef) else None


class ModelChecker:
    """Resolves the names of one model declaration."""

    def __init__(self, decl: ast.ModelDecl, globals_: Names):
        self.decl = decl
        self.globals = globals_

    def check(self) -> None:
        """Checks hyper-parameter defaults, fields or stages, and methods in source order."""
        decl = self.decl
        hparams: dict[str, Binding] = {}
        for p in decl.hparams:
            if p.default is not None:
                self.expr(p.default, self.globals.inner(hparams))
            hparams[p.name] = None
        fields_scope = self.globals.inner(hparams)
        fields: dict[str, Binding] = {}
        for f in decl.fields:
            if f.name in fields:
                raise CompileError(f.loc, f"field '{f.name}' is declared twice")
            if f.kind == "field":
                fields[f.name] = self.field(f.value, fields_scope)
                continue
            self.expr(f.value, fields_scope)
            fields[f.name] = None
        for tie in decl.ties:
            if tie.condition is not None:
                self.expr(tie.condition, fields_scope)
        model = {**hparams, **{m.name: m for m in decl.methods}, **fields}
        names = self.globals.inner(model)
        if decl.stages is not None:
            for stage in decl.stages:
                self.stage(stage, fields_scope, names)
            return
        if "forward" not in method_names(decl):
            raise CompileError(decl.loc, f"model {decl.name} has no 'forward' method")
        for m in decl.methods:
            self.method(m, names)

    def field(self, e: ast.Expr, names: Names) -> Binding:
        """A field: a built-in layer, a sub-model or `repeat(n, LAYER)`, as
        `ModelGen.field` (frontend/models.py) makes it."""
        if isinstance(e, ast.IfExp):
            self.expr(e.cond, names)
            self.field(e.body, names)
            self.field(e.orelse, names)
            return None
        if isinstance(e, ast.ListComp):
            self.expr(e.iter, names)
            self.field(e.elt, names.inner({e.var.id: None}))
            return None
        call = e if isinstance(e, ast.Call) else ast.Call(e.loc, e, (), ())
        name = call.func.id if isinstance(call.func, ast.Name) else None
        callee = names.get(name) if name is not None and name in names else None
        if isinstance(callee, BuiltinRef) and callee.name == "repeat":
            if len(call.args) != 2 or call.kwargs:
                raise CompileError(call.loc, "repeat takes two arguments: repeat(n, LAYER)")
            self.expr(call.args[0], names)
            self.field(call.args[1], names)
            return None
        self.arguments(call, names)
        if isinstance(callee, BuiltinRef) and callee.name in LAYER_SIGNATURES:
            arity(LAYER_SIGNATURES[callee.name], call)
            return None
        if isinstance(callee, ast.ModelDecl):
            arity(hparams_signature(callee), call)
            return SubModelField(callee)
        raise CompileError(e.loc, not_a_field(call, field_scope(names)))

    def stage(self, stage: ast.Expr, fields: Names, names: Names) -> None:
        """A stage of a sequential model: a field, or a function applied to the input."""
        call = stage if isinstance(stage, ast.Call) else ast.Call(stage.loc, stage, (), ())
        callee = self.expr(call.func, names)
        if isinstance(callee, ast.ModelDecl) or (
                isinstance(callee, BuiltinRef) and callee.name in LAYER_SIGNATURES):
            self.field(stage, fields)
            return
        self.arguments(call, names)
        self.check_call(callee, call, 1)

    def method(self, m: ast.FnDecl, names: Names) -> None:
        """A method: its parameters' defaults, then its body."""
        for p in m.params:
            if p.default is not None:
                self.expr(p.default, names)
        local: dict[str, Binding] = {p.name: None for p in m.params}
        local.update({n: None for n in bound_names(m.body)})
        self.block(m.body, names.inner(local))

    def block(self, stmts: Iterable[ast.Stmt], names: Names) -> None:
        """Statements in order; a kind that holds no expression needs nothing."""
        for s in stmts:
            if isinstance(s, (ast.Let, ast.Assign)):
                self.expr(s.value, names)
            if isinstance(s, ast.Assign) and s.target.id not in names:
                raise CompileError(s.target.loc,
                                   f"'{s.target.id}' is not defined; use 'let {s.target.id}'")
            if isinstance(s, ast.ExprStmt):
                self.expr(s.expr, names)
            elif isinstance(s, ast.Return) and s.value is not None:
                self.expr(s.value, names)
            elif isinstance(s, ast.For):
                self.expr(s.iter, names)
                self.block(s.body, names)
            elif isinstance(s, ast.If):
                self.expr(s.cond, names)
                self.block(s.then, names)
                self.block(s.orelse, names)

    def expr(self, e: ast.Expr, names: Names) -> Binding:
        """Checks the names of an expression; returns what it stands for if it is a name."""
        if isinstance(e, ast.Name):
            if e.id not in names:
                raise CompileError(e.loc, unknown_name(e.id, names.visible()))
            return names.get(e.id)
        if isinstance(e, ast.Call):
            callee = self.expr(e.func, names)
            self.arguments(e, names)
            self.check_call(callee, e, 0)
        elif isinstance(e, ast.ListComp):
            raise CompileError(e.loc, COMPREHENSION_ONLY_IN_FIELDS)
        elif isinstance(e, ast.Attribute):
            self.attribute(self.expr(e.value, names), e)
        elif isinstance(e, ast.Subscript):
            self.expr(e.value, names)
            for item in e.items:
                parts = (item.lo, item.hi, item.step) if isinstance(item, ast.Slice) else (item,)
                for part in parts:
                    if part is not None:
                        self.expr(part, names)
        else:
            for sub in children(e):
                self.expr(sub, names)
        return None

    def arguments(self, call: ast.Call, names: Names) -> None:
        """The positional and keyword arguments of a call."""
        for a in call.args:
            self.expr(a, names)
        for kw in call.kwargs:
            self.expr(kw.value, names)

    def check_call(self, callee: Binding, call: ast.Call, implicit: int) -> None:
        """A call in a method or stage whose callee is known: what `CallGen.call`
        (frontend/calls.py) refuses whatever the values; `implicit` arguments (a stage's
        input) come before the written ones."""
        if isinstance(callee, BuiltinRef):
            name = callee.name
            if name in LAYER_SIGNATURES or name == "repeat":
                raise CompileError(call.loc,
                                   f"{name} creates a layer: declare it as a model field")
            if name == "len":  # of a list hyper-parameter in a model: checked when made
                return
            if name not in FUNCTIONS:
                raise CompileError(call.loc, f"{name} can only be used in the host program")
            arity(FUNCTIONS[name][0], call, implicit)
        elif isinstance(callee, ast.FnDecl):
            arity(function_signature(callee), call, implicit)
        elif isinstance(callee, ast.ModelDecl):
            raise CompileError(call.loc, "models are created as fields of a model, not in methods")

    def attribute(self, owner: Binding, e: ast.Attribute) -> None:
        """`field.name` on a sub-model field names one of its fields or methods."""
        if not isinstance(owner, SubModelField):
            return
        decl = owner.decl
        members = [*(f.name for f in decl.fields), *method_names(decl)]
        if e.name not in members:
            raise CompileError(e.loc, f"model {decl.name} has no field or method '{e.name}'"
                               + did_you_mean(e.name, members))


def arity(sig: Signature[D], call: ast.Call, implicit: int = 0) -> None:
    """Checks the number and keywords of a call's arguments against a signature."""
    given = object()  # `bind` takes None for "not given"
    args = [given] * (implicit + len(call.args))
    bind(sig, call, args, {kw.name: given for kw in call.kwargs})


def hparams_signature(decl: ast.ModelDecl) -> Signature[ast.Expr]:
    """The signature that instantiates a model."""
    return Signature(decl.name, tuple(
        (p.name, REQUIRED if p.default is None else p.default) for p in decl.hparams))


def function_signature(decl: ast.FnDecl) -> Signature[ast.Expr]:
    """The signature of a function or method."""
    return Signature(decl.name, tuple(
        (p.name, REQUIRED if p.default is None else p.default) for p in decl.params))


def field_scope(names: Names) -> Scope:
    """The visible names as values, for `not_a_field` (frontend/models.py), which names
    the models and layers among them."""
    values: dict[str, Value] = {}
    for n in names.visible():
        b = names.get(n)
        values[n] = ModelClass(b) if isinstance(b, ast.ModelDecl) else (
            b if isinstance(b, BuiltinRef) else Static(None))
    return Scope(None, values)


def children(e: ast.Expr) -> tuple[ast.Expr, ...]:
    """The sub-expressions of an expression that is neither a name, a call, an attribute
    nor a subscript."""
    if isinstance(e, (ast.ListLit, ast.TupleLit)):
        return e.elts
    if isinstance(e, ast.BinOp):
        return (e.lhs, e.rhs)
    if isinstance(e, ast.UnaryOp):
        return (e.operand,)
    if isinstance(e, ast.Range):
        return (e.lo, e.hi)
    if isinstance(e, ast.IfExp):
        return (e.body, e.cond, e.orelse)
    return ()


def bound_names(stmts: Iterable[ast.Stmt]) -> set[str]:
    """The variables a body binds anywhere: its `let`s and loop variables."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, ast.Let):
            out.update(n.id for n in s.names)
        elif isinstance(s, ast.For):
            out.add(s.var.id)
            out.update(bound_names(s.body))
        elif isinstance(s, ast.If):
            out.update(bound_names(s.then) | bound_names(s.orelse))
    return out
