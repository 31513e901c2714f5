"""IR generation for the methods of a specialised model, each a `func.func` in its
`model.def`: the declared methods, the forward of a sequential model (its stages applied
in order), and a method made for the host program's call of a field (`m.encoder(x)`).

A method is generated once for all sizes of its inputs. Where no declared method gives
the input's type (a sequential model, a layer field), the first layer that implies one
gives it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from xdsl.dialects import func
from xdsl.ir import Block, Region

from mlang.frontend import ast
from mlang.frontend.emitter import Emitter, ir_location
from mlang.frontend.layers import emit_layer
from mlang.frontend.generator import IRGenBase, ModelInfo
from mlang.frontend.models import method_names, no_method
from mlang.frontend.scopes import Frame, Scope, model_scope
from mlang.frontend.typecheck import declared_type, resolve_dim, value_type
from mlang.frontend.types import SCALAR_TENSORS, ModelT, ScalarT, TensorT, TupleT, ir_type
from mlang.frontend.values import (
    BuiltinRef, Dyn, Field, FieldPath, FnRef, LayerList, LayerSpec, MethodRef, Seq,
    StaticValue, SubModel, TensorField, Value, describe,
)
from mlang.support.diagnostics import CompileError, Loc


class MethodGen(IRGenBase):
    """The methods part of `IRGen` (frontend/irgen.py), whose other parts it calls through
    `self` (`block`, `expr`, and the calls part to inline what a method calls)."""

    def methods(self, info: ModelInfo) -> None:
        """Generates every method of a specialised model as a `func.func`."""
        decl = info.decl
        if decl.stages is not None:
            self.sequential_forward(info)
            return
        if "forward" not in method_names(decl):
            raise CompileError(decl.loc, f"model {decl.name} has no 'forward' method")
        for m in decl.methods:
            self.method(info, m)

    def method(self, info: ModelInfo, m: ast.FnDecl) -> None:
        """One method as a `func.func` inside the `model.def`."""
        for p in m.params:
            if p.type is None:
                raise CompileError(p.loc, f"parameter '{p.name}' needs a type")
        types = [p.type for p in m.params if p.type is not None]
        block, values = self.arguments(types, info.scope, m.loc)
        scope = Scope(info.scope)
        for value, p in zip(values, m.params):
            value.ssa.name_hint = p.name
            scope.names[p.name] = value
        frame = Frame(Emitter(block, True, info.params), scope, info.scope, depth=1)
        self.block(m.body, frame)
        result = self.finish(m, frame, {}, info.scope, m.loc)
        check_input_sizes_kept(m, result, info.scope)
        self.close_method(info, m.name, result, frame.em, m.loc)

    def close_method(self, info: ModelInfo, name: str, result: Value, em: Emitter,
                     loc: Loc) -> None:
        """Adds `func.return` and the `func.func` of a method to its model."""
        values = list(result.items) if isinstance(result, Seq) else [result]
        outs = [em.tensor(v, loc) for v in values]
        em.insert(func.ReturnOp(*[o.ssa for o in outs]), loc)
        info.results[name] = outs[0].type if len(outs) == 1 else TupleT(tuple(o.type for o in outs))
        fn_type = ([a.type for a in em.block.args], [o.ssa.type for o in outs])
        f = func.FuncOp(name, fn_type, Region(em.block))
        f.location = ir_location(loc)
        info.definition.body.block.add_op(f)

    def sequential_forward(self, info: ModelInfo) -> None:
        """The forward of `model M(...) = A |> B |> ...`: the stages applied in order."""
        t = declared_type(sequential_input(info), {}, info.scope)
        block = Block(arg_types=[ir_type(t)])
        block.args[0].name_hint = "x"
        em = Emitter(block, True, info.params)
        result = self.apply_stages(info.decl, info.scope, Dyn(block.args[0], t), em, info.decl.loc)
        self.close_method(info, "forward", result, em, info.decl.loc)

    def apply_stages(self, decl: ast.ModelDecl, scope: Scope, x: Value, em: Emitter,
                     loc: Loc) -> Value:
        """Applies the stages of a sequential model to `x`."""
        assert decl.stages is not None
        frame = Frame(em, Scope(scope), scope, depth=1)
        for i, stage in enumerate(decl.stages):
            fld = scope.lookup(str(i))
            if fld is not None:
                x = self.call_field(fld, x, stage, frame)
                continue
            call = stage if isinstance(stage, ast.Call) else ast.Call(stage.loc, stage, (), ())
            callee = self.expr(call.func, frame)
            args = [x] + [self.expr(a, frame) for a in call.args]
            kwargs = self.keywords(call, frame)
            x = self.apply_callee(callee, call, args, kwargs, frame)
        return x

    def call_field(self, fld: Value, x: Value, stage: ast.Expr, frame: Frame) -> Value:
        """Applies a layer or sub-model field to `x`."""
        call = ast.Call(stage.loc, stage, (), ())
        if isinstance(fld, LayerSpec):
            return emit_layer(frame.em, fld, x, stage.loc)
        return self.inline_method(MethodRef(fld, "forward"), call, [x], {}, frame)

    def apply_callee(self, callee: Value, call: ast.Call, args: list[Value],
                     kwargs: dict[str, Value], frame: Frame) -> Value:
        """Calls a function stage of a sequential model."""
        if isinstance(callee, BuiltinRef):
            return self.builtin_call(callee.name, call, args, kwargs, frame)
        if isinstance(callee, FnRef):
            return self.inline(callee.decl, self.globals, call, args, kwargs, frame, None)
        raise CompileError(call.loc, f"{describe(callee)} cannot be a stage")

    def field_call(self, fp: FieldPath, method: str, e: ast.Call, args: list[Value],
                   kwargs: dict[str, Value], frame: Frame) -> Value:
        """`m.encoder(x)` or `m.encoder.embed(x)` in the host program: a method of `m`'s
        definition made once to run that field's method (`@encoder.forward`), called like
        any other method."""
        owner = fp.owner.type
        assert isinstance(owner, ModelT) and owner.definition is not None  # it has fields
        info = self.by_symbol[owner.definition]
        first = args[0] if args else None
        rank = len(first.type.shape) if isinstance(first, Dyn) and isinstance(
            first.type, TensorT) and first.type.shape is not None else 2
        # A layer of the last dimension takes any rank: one method per rank it is given.
        symbol = f"{fp.path}.{method}" + ("" if rank == 2 else f".rank{rank}")
        if symbol not in info.field_methods:
            self.field_method(info, fp, method, symbol, e, rank)
        return self.host_method_call(fp.owner, symbol, e, args, kwargs, frame)

    def field_method(self, info: ModelInfo, fp: FieldPath, method: str, symbol: str,
                     e: ast.Call, rank: int) -> None:
        """Adds `@symbol` to a definition: the field's method, inlined as in a method."""
        f = fp.field
        if isinstance(f, SubModel):
            scope = model_scope(self.globals, f.decl, f.hparams, f.fields)
            decl = next((m for m in f.decl.methods if m.name == method), None)
            types = ([resolved(p.type, f.hparams) for p in decl.params] if decl is not None
                     else [stages_input(f.fields.values(), e.loc, rank)])
        elif isinstance(f, LayerSpec):
            scope, types = info.scope, [field_input(f, e.loc, rank)]
        elif isinstance(f, TensorField):
            raise CompileError(e.loc, f"'{fp.path}' is a {f.kind}, a tensor: it cannot be "
                                      "called")
        else:
            raise CompileError(e.loc, f"'{fp.path}' is a list of layers: call one of them "
                                      "inside a method")
        known = [t for t in types if t is not None]
        if len(known) != len(types):
            raise CompileError(e.loc, f"the input of '{fp.path}' is not known: call it inside "
                                      "a method")
        block, values = self.arguments(known, scope, e.loc)
        frame = Frame(Emitter(block, True, info.params), Scope(scope), scope, depth=1)
        if isinstance(f, LayerSpec):
            result: Value = emit_layer(frame.em, f, values[0], e.loc)
        else:
            result = self.inline_method(MethodRef(f, method), e, list(values), {}, frame)
        self.close_method(info, symbol, result, frame.em, e.loc)
        info.field_methods[symbol] = known

    def arguments(self, types: list[ast.TypeExpr], scope: Scope,
                  loc: Loc) -> tuple[Block, list[Dyn[TensorT]]]:
        """The block of a method taking arguments of these declared types, and its
        arguments as values; a number (`float`) is a 0-d tensor that the host fills."""
        resolved_types: list[TensorT] = []
        for written in types:
            t = declared_type(written, {}, scope)
            if isinstance(t, ScalarT) and t.kind in SCALAR_TENSORS:
                t = TensorT(SCALAR_TENSORS[t.kind], ())  # the host passes a number
            if not isinstance(t, TensorT):
                raise CompileError(written.loc, "method parameters must be tensors or numbers")
            resolved_types.append(t)
        block = Block(arg_types=[ir_type(t) for t in resolved_types])
        return block, [Dyn(arg, t) for arg, t in zip(block.args, resolved_types)]


def check_input_sizes_kept(m: ast.FnDecl, result: Value, scope: Scope) -> None:
    """A method is compiled once for all sizes of its inputs: where its declared result
    names a size of the inputs (`-> f32[N, 3]` for `x: f32[N, 4]`), the result must have
    that size, not a number or another size that fit one call only."""
    if m.result is None:
        return
    sizes = {d.value for p in m.params if isinstance(p.type, ast.TensorTypeExpr)
             for d in p.type.dims
             if d.kind == "name" and isinstance(resolve_dim(d, {}, scope), str)}
    written = m.result.elts if isinstance(m.result, ast.TupleTypeExpr) else (m.result,)
    values = result.items if isinstance(result, Seq) else (result,)
    for t, v in zip(written, values):
        actual = value_type(v)
        if not (isinstance(t, ast.TensorTypeExpr) and isinstance(actual, TensorT)
                and actual.shape is not None and len(actual.shape) == len(t.dims)):
            continue
        for d, a in zip(t.dims, actual.shape):
            if d.value in sizes and a is not None and a != d.value:
                raise CompileError(m.result.loc, f"the result of {m.name} must be "
                                   f"{declared_type(t, {}, scope)}, got {actual}: {d.value} "
                                   f"is a size of the inputs, whatever it is in a call")


def method_params(info: ModelInfo, method: str, loc: Loc) -> list[ast.TypeExpr | None]:
    """The declared argument types of a method (a sequential model's forward has one)."""
    if method in info.field_methods:
        return list(info.field_methods[method])
    decl = next((m for m in info.decl.methods if m.name == method), None)
    if decl is not None:
        return [p.type for p in decl.params]
    if info.decl.stages is None or method != "forward":
        raise CompileError(loc, no_method(info.decl, method))
    return [sequential_input(info)]


def sequential_input(info: ModelInfo) -> ast.TypeExpr:
    """The input type of a sequential model: that of its first stage that says it, past
    stages that keep their input as it is (`Dropout`, and functions, which are no fields)."""
    found = stages_input(info.fields.values(), info.decl.loc)
    if found is None:
        raise CompileError(info.decl.loc, f"cannot infer the input of sequential model "
                                          f"{info.decl.name}: start it with Linear, Conv2d, "
                                          "Embedding, a norm, Attention or a model of your own")
    return found


def stages_input(fields: Iterable[Field], loc: Loc, rank: int = 2) -> ast.TypeExpr | None:
    """The input type of a sequence of stages: that of its first field that says it, past
    `Dropout`s, which keep their input as it is (functions are no fields)."""
    for f in fields:
        found = field_input(f, loc, rank)
        if found is not None or not (isinstance(f, LayerSpec) and f.kind == "Dropout"):
            return found
    return None


def field_input(f: Field, loc: Loc, rank: int = 2) -> ast.TypeExpr | None:
    """The input type that a layer or sub-model field implies, or None if it does not; a
    layer of the last dimension (Linear, a norm) takes `rank` dimensions."""

    def t(dtype: str, *dims: int | str) -> ast.TensorTypeExpr:
        """A tensor type written at `loc`."""
        return ast.TensorTypeExpr(loc, dtype, tuple(
            ast.Dim(loc, "int", d) if isinstance(d, int) else ast.Dim(loc, "name", d)
            for d in dims))

    if isinstance(f, LayerList):
        return field_input(f.items[0], loc, rank) if f.items else None
    if isinstance(f, SubModel):
        return sub_model_input(f, loc, rank)
    if isinstance(f, TensorField):
        return None
    leading = ("N", *(f"D{i}" for i in range(1, rank - 1)))
    table: dict[str, Callable[[], ast.TypeExpr]] = {
        "Linear": lambda: t("f32", *leading, f.int_arg("in")),
        "Conv2d": lambda: t("f32", "N", f.int_arg("in_ch"), "H", "W"),
        "Embedding": lambda: t("i64", "N", "T"),
        "LayerNorm": lambda: t("f32", *leading, f.int_arg("dim")),
        "RMSNorm": lambda: t("f32", *leading, f.int_arg("dim")),
        "Attention": lambda: t("f32", "N", "T", f.int_arg("dim")),
    }
    return table[f.kind]() if f.kind in table else None


def sub_model_input(f: SubModel, loc: Loc, rank: int = 2) -> ast.TypeExpr | None:
    """A sub-model's input type: its forward's first parameter, with its hyper-parameters'
    values for their names; or, for a sequential sub-model, its own first stage's."""
    if f.decl.stages is not None:
        return stages_input(f.fields.values(), loc, rank)
    forward = next((m for m in f.decl.methods if m.name == "forward"), None)
    first = forward.params[0].type if forward is not None and forward.params else None
    return resolved(first, f.hparams) if isinstance(first, ast.TensorTypeExpr) else None


def resolved(t: ast.TypeExpr | None, hparams: dict[str, StaticValue]) -> ast.TypeExpr | None:
    """A type written in a model, its sizes that name hyper-parameters given as their
    values, so that it means the same outside the model."""
    if not isinstance(t, ast.TensorTypeExpr):
        return t
    return ast.TensorTypeExpr(t.loc, t.dtype, tuple(resolved_dim(d, hparams) for d in t.dims))


def resolved_dim(d: ast.Dim, hparams: dict[str, StaticValue]) -> ast.Dim:
    """A written dimension, given as its value where it names an int hyper-parameter."""
    value = hparams.get(str(d.value)) if d.kind == "name" else None
    return ast.Dim(d.loc, "int", value) if isinstance(value, int) else d
