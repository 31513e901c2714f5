"""Specialisation of models: one `model.def` per model and hyper-parameter values,
created when the host program first instantiates it, holding a `model.param` for every
parameter of its fields' layers, then its methods (made by frontend/methods.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeGuard

from xdsl.dialects.builtin import (
    ArrayAttr, FloatAttr, IntegerAttr, StringAttr, TensorType, UnitAttr, f64, i64,
)
from xdsl.ir import Attribute, Block

from mlang.dialects.model.structure import (
    BUFFER_ATTR, ZERO_ROW_ATTR, DefOp, InstantiateOp, ParamOp, TieOp,
)
from mlang.frontend import ast
from mlang.frontend.builtin_args import static_int
from mlang.frontend.emitter import ir_location
from mlang.frontend.generator import IRGenBase, ModelInfo
from mlang.frontend.layers import SIGNATURES as LAYER_SIGNATURES
from mlang.frontend.layers import layer_params, make_layer
from mlang.frontend.lexer import INT64_MAX
from mlang.frontend.scopes import ConstEmitter, Frame, Scope, model_scope
from mlang.frontend.signatures import REQUIRED, Signature, bind
from mlang.frontend.typecheck import specialised_name
from mlang.frontend.tensor_fields import tensor_field
from mlang.frontend.types import ModelT, TensorT, from_ir_type, ir_type
from mlang.frontend.values import (
    BuiltinRef, DType, Field, LayerList, LayerSpec, ModelClass, Static, StaticValue, SubModel,
    TensorField, Value, describe,
)
from mlang.support.diagnostics import CompileError, Loc, did_you_mean


class ModelGen(IRGenBase):
    """The models part of `IRGen` (frontend/irgen.py), whose other parts it calls through
    `self` (`expr`, `keywords`, and `methods` of the methods part)."""

    def instantiate(self, decl: ast.ModelDecl, e: ast.Call, args: list[Value],
                    kwargs: dict[str, Value], frame: Frame) -> Value:
        """`Classifier(64, 128, 10)` in the host program."""
        hparams = self.bind_hparams(decl, e, args, kwargs)
        info = self.specialise(decl, hparams, e.loc)
        t = ModelT(info.symbol)
        return frame.em.result(InstantiateOp(info.symbol), t, e.loc)

    def bind_hparams(self, decl: ast.ModelDecl, e: ast.Call, args: list[Value],
                     kwargs: dict[str, Value]) -> dict[str, StaticValue]:
        """Binds and checks hyper-parameters, which must be known at compile time."""
        sig = Signature(decl.name, tuple(
            (p.name, REQUIRED if p.default is None else p.default) for p in decl.hparams))
        bound = bind(sig, e, args, kwargs)
        scope = Scope(self.globals)
        out: dict[str, StaticValue] = {}
        for p in decl.hparams:
            v = bound.args[p.name]
            loc = bound.locs.get(p.name, e.loc)
            if v is None:
                assert p.default is not None  # `bind` leaves unset only what has a default
                v = self.expr(p.default, Frame(ConstEmitter(Block(), True), scope))
                loc = p.default.loc
            out[p.name] = hparam_value(p, v, loc, decl.name)
            scope.names[p.name] = Static(out[p.name])
        return out

    def specialise(self, decl: ast.ModelDecl, hparams: dict[str, StaticValue],
                   loc: Loc) -> ModelInfo:
        """The `model.def` of a model for these hyper-parameters, created once."""
        key = (id(decl), tuple(hparams.items()))
        if key in self.models:
            return self.models[key]
        symbol = specialised_name(decl.name, list(hparams.values()), set(self.by_symbol))
        definition = DefOp(symbol, decl.name, hparam_attrs(hparams))
        definition.location = ir_location(decl.loc)
        fields = self.fields(decl, hparams, "")
        scope = model_scope(self.globals, decl, hparams, fields)
        info = ModelInfo(symbol, decl, hparams, fields, scope, definition)
        self.models[key] = info
        self.by_symbol[symbol] = info
        self.declare_params(info)
        self.module.body.block.add_op(definition)
        self.methods(info)
        return info

    def fields(self, decl: ast.ModelDecl, hparams: dict[str, StaticValue],
               prefix: str) -> dict[str, Field]:
        """Evaluates the fields (or sequential stages) of a model."""
        scope = Scope(self.globals, {k: Static(v) for k, v in hparams.items()})
        out: dict[str, Field] = {}
        self.expanding.append(decl)
        try:
            if decl.stages is not None:
                for i, stage in enumerate(decl.stages):
                    if self.is_layer_stage(stage, scope):
                        out[str(i)] = self.field(stage, scope, join(prefix, str(i)))
                return out
            const = Frame(ConstEmitter(Block(), True), scope)
            for f in decl.fields:
                if f.name in out:
                    raise CompileError(f.loc, f"field '{f.name}' is declared twice")
                path = join(prefix, f.name)
                out[f.name] = self.field(f.value, scope, path) if f.kind == "field" else \
                    tensor_field(f, scope, lambda e: self.expr(e, const), path)
            return out
        finally:
            self.expanding.pop()

    def is_layer_stage(self, stage: ast.Expr, scope: Scope) -> bool:
        """True for a sequential stage that creates a layer (rather than applying a function)."""
        callee = stage.func if isinstance(stage, ast.Call) else stage
        if not isinstance(callee, ast.Name):
            return False
        value = scope.lookup(callee.id)
        return isinstance(value, ModelClass) or (
            isinstance(value, BuiltinRef) and value.name in LAYER_SIGNATURES)

    def field(self, e: ast.Expr, scope: Scope, path: str) -> Field:
        """One field: a built-in layer, a sub-model, `repeat(n, LAYER)`, the layers of a
        comprehension, or the field a compile-time condition chooses."""
        const = Frame(ConstEmitter(Block(), True), scope)
        if isinstance(e, ast.IfExp):
            chosen = static_condition(self.expr(e.cond, const), e.cond.loc)
            return self.field(e.body if chosen else e.orelse, scope, path)
        if isinstance(e, ast.ListComp):
            return self.comprehension(e, scope, path, const)
        call = e if isinstance(e, ast.Call) else ast.Call(e.loc, e, (), ())
        callee = scope.lookup(call.func.id) if isinstance(call.func, ast.Name) else None
        if isinstance(callee, BuiltinRef) and callee.name == "repeat":
            return self.repeat(call, scope, path, const)
        args = [self.expr(a, const) for a in call.args]
        kwargs = self.keywords(call, const)
        if isinstance(callee, BuiltinRef) and callee.name in LAYER_SIGNATURES:
            return make_layer(callee.name, call, args, kwargs, path)
        if isinstance(callee, ModelClass):
            outer = [d.name for d in self.expanding]
            if callee.decl in self.expanding:
                chain = " -> ".join([*outer[outer.index(callee.decl.name):], callee.decl.name])
                raise CompileError(call.loc, f"model {callee.decl.name} contains itself: {chain}")
            hparams = self.bind_hparams(callee.decl, call, args, kwargs)
            fields = self.fields(callee.decl, hparams, path)
            return SubModel(callee.decl, hparams, path, fields, call.loc)
        raise CompileError(e.loc, not_a_field(call, scope))

    def repeat(self, call: ast.Call, scope: Scope, path: str, const: Frame) -> LayerList:
        """`repeat(n, LAYER)`: n independently initialised copies."""
        if len(call.args) != 2 or call.kwargs:
            raise CompileError(call.loc, "repeat takes two arguments: repeat(n, LAYER)")
        n = static_int(self.expr(call.args[0], const), call.args[0].loc, "repeat count")
        if n < 1:
            raise CompileError(call.args[0].loc, f"repeat count must be at least 1, got {n}")
        self.budget.repeat(n, call.args[0].loc)
        items = tuple(self.field(call.args[1], scope, f"{path}.{i}") for i in range(n))
        return LayerList(items, path)

    def comprehension(self, e: ast.ListComp, scope: Scope, path: str,
                      const: Frame) -> LayerList:
        """`[LAYER for NAME in ITEMS]`: a layer for each item of a range or a compile-time
        list, made with NAME bound to it (layers that differ, as a network's stages do)."""
        items = self.comprehension_items(e.iter, const)
        if not items:
            raise CompileError(e.iter.loc, "a comprehension of layers needs at least one item")
        self.budget.repeat(len(items), e.iter.loc)
        return LayerList(tuple(
            self.field(e.elt, Scope(scope, {e.var.id: Static(v)}), f"{path}.{i}")
            for i, v in enumerate(items)), path)

    def comprehension_items(self, e: ast.Expr, const: Frame) -> list[StaticValue]:
        """The items a comprehension of layers goes over: `lo..hi`, or a list known at
        compile time."""
        if isinstance(e, ast.Range):
            lo = static_int(self.expr(e.lo, const), e.lo.loc, "range start")
            return list(range(lo, static_int(self.expr(e.hi, const), e.hi.loc, "range end")))
        v = self.expr(e, const)
        if isinstance(v, Static) and isinstance(v.value, (list, tuple)):
            return list(v.value)
        raise CompileError(e.loc, f"a comprehension of layers goes over a range 'a..b' or a "
                                  f"list known at compile time, got {describe(v)}")

    def declare_params(self, info: ModelInfo) -> None:
        """Adds a `model.param` for every parameter of every layer and every tensor field,
        in field order, then a `model.tie` for every tie."""
        for f in walk_layers(info.fields.values()):
            if isinstance(f, TensorField):
                self.declare_param(info, f.path, f.type, f.init, f.scale, f.loc,
                                   buffer=f.kind == "buffer")
                continue
            for p in layer_params(f):
                self.declare_param(info, f"{f.path}.{p.suffix}", TensorT(p.dtype, p.shape),
                                   p.init, p.scale, f.loc, buffer=p.buffer,
                                   zero_row=p.zero_row)
        for tie, prefix, hparams in walk_ties(info.decl, info.hparams, info.fields, ""):
            if not self.tie_holds(tie, hparams):
                continue
            op = TieOp(*check_tie(tie, prefix, info.params))
            op.location = ir_location(tie.loc)
            info.definition.body.block.add_op(op)

    def tie_holds(self, tie: ast.Tie, hparams: dict[str, StaticValue]) -> bool:
        """Whether a tie applies: it has no condition, or its condition, a compile-time
        boolean of the model's hyper-parameters, is true."""
        if tie.condition is None:
            return True
        scope = Scope(self.globals, {k: Static(v) for k, v in hparams.items()})
        v = self.expr(tie.condition, Frame(ConstEmitter(Block(), True), scope))
        if not (isinstance(v, Static) and isinstance(v.value, bool)):
            raise CompileError(tie.condition.loc, f"the condition of a tie must be a boolean "
                                                  f"known at compile time, got {describe(v)}")
        return v.value

    @staticmethod
    def declare_param(info: ModelInfo, name: str, t: TensorT, init: str, scale: float,
                      loc: Loc, *, buffer: bool = False, zero_row: int | None = None) -> None:
        """Adds one `model.param`: a buffer is saved but not trained; `zero_row` is a row
        zeroed after the initial draw (an Embedding's `padding_idx`)."""
        ir = ir_type(t)
        assert isinstance(ir, TensorType)
        op = ParamOp(name, ir, init, scale)
        if buffer:
            op.attributes[BUFFER_ATTR] = UnitAttr()
        if zero_row is not None:
            op.attributes[ZERO_ROW_ATTR] = IntegerAttr(zero_row, i64)
        op.location = ir_location(loc)
        info.definition.body.block.add_op(op)
        info.params[name] = (init, ir)


COMPREHENSION_ONLY_IN_FIELDS = ("a comprehension '[... for NAME in ...]' makes the layers of "
                                "a field ('layers = [Block(i) for i in 0..n]')")
"""Where a list comprehension may be written."""


def static_condition(v: Value, loc: Loc) -> bool:
    """The condition of `a if cond else b`, a boolean known at compile time."""
    if isinstance(v, Static) and isinstance(v.value, bool):
        return v.value
    raise CompileError(loc, f"the condition of 'a if cond else b' must be a boolean known at "
                            f"compile time, got {describe(v)}")


def method_names(decl: ast.ModelDecl) -> set[str]:
    """The methods of a model (a sequential model has only `forward`)."""
    return {"forward"} if decl.stages is not None else {m.name for m in decl.methods}


def no_method(decl: ast.ModelDecl, name: str) -> str:
    """The message for a call of a method that a model does not have."""
    return (f"model {decl.name} has no method '{name}'"
            + did_you_mean(name, method_names(decl)))


def not_a_field(call: ast.Call, scope: Scope) -> str:
    """The message for a field that does not create a layer: a misspelt layer or model
    is named, with the closest layer or model in sight."""
    fields = "a field must be a built-in layer, a model, or repeat(n, LAYER)"
    if not isinstance(call.func, ast.Name) or scope.lookup(call.func.id) is not None:
        return fields
    makers = [n for n in scope.visible() if makes_field(scope.lookup(n))]
    hint = did_you_mean(call.func.id, makers)
    return f"unknown layer '{call.func.id}'" + (hint or f"; {fields}")


def makes_field(value: Value | None) -> bool:
    """Whether a name's value makes a field: a built-in layer, a model or `repeat`."""
    return isinstance(value, ModelClass) or (isinstance(value, BuiltinRef) and (
        value.name in LAYER_SIGNATURES or value.name == "repeat"))


def walk_ties(decl: ast.ModelDecl, hparams: dict[str, StaticValue], fields: dict[str, Field],
              prefix: str) -> Iterator[tuple[ast.Tie, str, dict[str, StaticValue]]]:
    """Every `tie` of a model and of its sub-models, with the path of the model it is in
    and that model's hyper-parameters."""
    for tie in decl.ties:
        yield tie, prefix, hparams
    for name, f in fields.items():
        items = f.items if isinstance(f, LayerList) else (f,)
        for i, item in enumerate(items):
            if isinstance(item, SubModel):
                where = f"{name}.{i}" if isinstance(f, LayerList) else name
                yield from walk_ties(item.decl, item.hparams, item.fields, join(prefix, where))


def check_tie(tie: ast.Tie, prefix: str,
              params: dict[str, tuple[str, TensorType]]) -> tuple[str, str]:
    """The full names a tie joins, each a parameter, both of one shape."""
    target, source = join(prefix, tie.target), join(prefix, tie.source)
    for name, written, loc in ((target, tie.target, tie.loc), (source, tie.source,
                                                                tie.source_loc)):
        if name not in params:
            visible = [p.removeprefix(f"{prefix}.") for p in params if p.startswith(prefix)]
            raise CompileError(loc, f"tie: no parameter '{written}'"
                               + did_you_mean(written, visible))
    (_, want), (_, have) = params[target], params[source]
    if want != have:
        raise CompileError(tie.loc, f"tie: '{tie.target}' is {from_ir_type(want)} but "
                                    f"'{tie.source}' is {from_ir_type(have)}; a tie joins "
                                    "parameters of one shape")
    return target, source


def walk_layers(fields: Iterable[Field]) -> Iterator[LayerSpec | TensorField]:
    """Every built-in layer and tensor field among the fields, depth first, in
    declaration order."""
    for f in fields:
        if isinstance(f, (LayerSpec, TensorField)):
            yield f
        elif isinstance(f, SubModel):
            yield from walk_layers(f.fields.values())
        else:
            yield from walk_layers(f.items)


def hparam_value(p: ast.Param, v: Value, loc: Loc, model: str) -> StaticValue:
    """A hyper-parameter's value, checked against its declared kind."""
    kind = p.type.name if isinstance(p.type, ast.ScalarTypeExpr) else None
    if kind is None and isinstance(v, Static) and is_number_list(v.value):
        return tuple(v.value)  # a list of sizes (`depths`), hashable as the key of a model
    if not isinstance(v, Static) or isinstance(v.value, (DType, list, tuple)) or v.value is None:
        raise CompileError(loc, f"hyper-parameter '{p.name}' of {model} must be known at "
                                f"compile time, got {describe(v)}")
    value = v.value
    if kind == "int" and isinstance(value, float) and value.is_integer() \
            and abs(value) <= INT64_MAX:
        value = int(value)  # as a layer's sizes: `image_size / patch_size` is a size
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        None: True,
    }[kind]
    if not ok:
        raise CompileError(loc, f"hyper-parameter '{p.name}' of {model} must be {kind}, "
                                f"got {describe(v)}")
    return float(value) if kind == "float" else value


def is_number_list(value: StaticValue) -> TypeGuard[list[int | float] | tuple[int | float, ...]]:
    """Whether a value is a list (or tuple) of numbers, a hyper-parameter of no declared
    type may be one."""
    return isinstance(value, (list, tuple)) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)


def hparam_attrs(hparams: dict[str, StaticValue]) -> dict[str, Attribute]:
    """Hyper-parameters as IR attributes, for `model.def`'s `hparams` dictionary."""
    out: dict[str, Attribute] = {}
    for k, v in hparams.items():
        if isinstance(v, bool):
            out[k] = IntegerAttr(int(v), 1)
        elif isinstance(v, int):
            out[k] = IntegerAttr(v, i64)
        elif isinstance(v, float):
            out[k] = FloatAttr(v, f64)
        elif is_number_list(v):
            out[k] = ArrayAttr(IntegerAttr(x, i64) if isinstance(x, int) else FloatAttr(x, f64)
                               for x in v)
        else:
            out[k] = StringAttr(str(v))
    return out


def join(prefix: str, name: str) -> str:
    """A dotted parameter path."""
    return f"{prefix}.{name}" if prefix else name
