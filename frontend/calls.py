"""IR generation for calls: of built-in functions and layers, of models and their
methods, and of free functions.

A call of a method, a sub-model or a function is inlined: its body is generated in place,
its arguments checked against the declared types, and a shape mismatch that only the
sizes of this call cause is reported at the call. A method of a model instance called
from the host program is a `model.call`; creating a model is the models part's
(frontend/models.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, StringAttr, i64
from xdsl.ir import Block, SSAValue

from mlang.dialects.model import host
from mlang.dialects.model.structure import CallOp
from mlang.frontend import ast
from mlang.frontend.emitter import Emitter
from mlang.frontend.host_functions import emit_host_function
from mlang.frontend.layers import SIGNATURES as LAYER_SIGNATURES
from mlang.frontend.layers import call_mask, emit_layer
from mlang.frontend.methods import method_params
from mlang.frontend.models import no_method
from mlang.frontend.generator import IRGenBase
from mlang.frontend.scopes import ConstEmitter, Frame, Scope, model_scope
from mlang.frontend.signatures import REQUIRED, Signature, bind
from mlang.frontend.tensor_functions import FUNCTIONS, emit_function
from mlang.frontend.typecheck import Subst, declared_type, resolve_dim, unify
from mlang.frontend.types import BOOL, FLOAT, INT, ModelT, MType, TensorT, TupleT, ir_type
from mlang.frontend.values import (
    BuiltinRef, Dyn, FieldPath, FnRef, LayerSpec, MethodRef, ModelClass, Seq, Static,
    SubModel, Value, describe,
)
from mlang.support.diagnostics import CompileError, Loc, Note, ShapeMismatch

MAX_INLINE_DEPTH = 64
"""How deeply inlined calls may nest: a deeper chain is taken for recursion."""


class CallGen(IRGenBase):
    """The calls part of `IRGen` (frontend/irgen.py), whose other parts it calls through
    `self` (`expr`, `block`, and the models' and methods' parts)."""

    def call(self, e: ast.Call, frame: Frame) -> Value:
        """Any call: built-ins, layers, models, methods and functions."""
        callee = self.expr(e.func, frame)
        args = [self.expr(a, frame) for a in e.args]
        kwargs = self.keywords(e, frame)
        em = frame.em
        if isinstance(callee, BuiltinRef):
            return self.builtin_call(callee.name, e, args, kwargs, frame)
        if isinstance(callee, FieldPath):
            return self.field_call(callee, "forward", e, args, kwargs, frame)
        if isinstance(callee, MethodRef):
            return self.method_call(callee, e, args, kwargs, frame)
        if isinstance(callee, LayerSpec):
            mask = call_mask(callee, e, kwargs)
            x = self.single_arg(e, args, kwargs, callee.kind)
            return emit_layer(em, callee, x, e.loc, mask)
        if isinstance(callee, SubModel):
            return self.inline_method(MethodRef(callee, "forward"), e, args, kwargs, frame)
        if isinstance(callee, FnRef):
            return self.inline(callee.decl, self.globals, e, args, kwargs, frame, None)
        if isinstance(callee, ModelClass):
            if em.in_model:
                raise CompileError(e.loc, "models are created as fields of a model, not in methods")
            return self.instantiate(callee.decl, e, args, kwargs, frame)
        if isinstance(callee, Dyn) and isinstance(callee.type, ModelT):
            return self.host_method_call(callee, "forward", e, args, kwargs, frame)
        raise CompileError(e.func.loc, f"{describe(callee)} is not callable")

    def method_call(self, ref: MethodRef, e: ast.Call, args: list[Value],
                    kwargs: dict[str, Value], frame: Frame) -> Value:
        """A method of a field of a host model instance, of a host model instance, or of
        the enclosing model or a sub-model (inlined)."""
        if isinstance(ref.owner, FieldPath):
            return self.field_call(ref.owner, ref.name, e, args, kwargs, frame)
        if isinstance(ref.owner, Dyn):
            return self.host_method_call(ref.owner, ref.name, e, args, kwargs, frame)
        return self.inline_method(ref, e, args, kwargs, frame)

    def keywords(self, e: ast.Call, frame: Frame) -> dict[str, Value]:
        """The keyword arguments of a call, each named once."""
        out: dict[str, Value] = {}
        for kw in e.kwargs:
            if kw.name in out:
                raise CompileError(kw.loc, f"keyword argument '{kw.name}' is given twice")
            out[kw.name] = self.expr(kw.value, frame)
        return out

    def single_arg(self, e: ast.Call, args: list[Value], kwargs: dict[str, Value],
                   what: str) -> Value:
        """The one positional argument of a layer call."""
        if len(args) != 1 or kwargs:
            raise CompileError(e.loc, f"{what} takes exactly one input, "
                                      f"got {len(args) + len(kwargs)}")
        return args[0]

    def builtin_call(self, name: str, e: ast.Call, args: list[Value], kwargs: dict[str, Value],
                     frame: Frame) -> Value:
        """A built-in function; layers and `repeat` are only valid as fields."""
        if name in LAYER_SIGNATURES or name == "repeat":
            raise CompileError(e.loc, f"{name} creates a layer: declare it as a model field")
        if name in FUNCTIONS:
            return emit_function(frame.em, e, name, args, kwargs)
        if frame.em.in_model and name == "len" and len(args) == 1 and \
                isinstance(args[0], Static) and isinstance(args[0].value, (list, tuple)):
            return Static(len(args[0].value))  # of a list hyper-parameter (`depths`)
        if frame.em.in_model:
            raise CompileError(e.loc, f"{name} can only be used in the host program"
                               + (" (in a model, of a list known at compile time)"
                                  if name == "len" else ""))
        return emit_host_function(self, frame.em, e, name, args, kwargs)

    def inline_method(self, ref: MethodRef, e: ast.Call, args: list[Value],
                      kwargs: dict[str, Value], frame: Frame) -> Value:
        """Inlines a method of the enclosing model or of a sub-model field."""
        if isinstance(ref.owner, SubModel):
            sub = ref.owner
            scope = model_scope(self.globals, sub.decl, sub.hparams, sub.fields)
            decl = sub.decl
        else:
            assert frame.model_scope is not None
            scope, decl = frame.model_scope, self.enclosing_decl(frame)
        if decl.stages is not None and ref.name == "forward":
            x = self.single_arg(e, args, kwargs, decl.name)
            return self.apply_stages(decl, scope, x, frame.em, e.loc)
        method = next((m for m in decl.methods if m.name == ref.name), None)
        if method is None:
            raise CompileError(e.loc, no_method(decl, ref.name))
        return self.inline(method, scope, e, args, kwargs, frame, scope)

    def enclosing_decl(self, frame: Frame) -> ast.ModelDecl:
        """The declaration of the model whose method is being generated."""
        assert frame.model_scope is not None  # only a method's frame asks
        decl = frame.model_scope.lookup("__model__")
        assert isinstance(decl, ModelClass)
        return decl.decl

    def inline(self, decl: ast.FnDecl, parent: Scope, e: ast.Call, args: list[Value],
               kwargs: dict[str, Value], frame: Frame, model: Scope | None) -> Value:
        """Generates a function body in place, its parameters bound to the arguments."""
        if frame.depth >= MAX_INLINE_DEPTH:
            raise CompileError(e.loc, f"calls nest more than {MAX_INLINE_DEPTH} deep "
                                      f"(is '{decl.name}' recursive?)")
        sig = Signature(decl.name, tuple(
            (p.name, REQUIRED if p.default is None else p.default) for p in decl.params))
        bound = bind(sig, e, args, kwargs)
        subst: Subst = {}
        scope = Scope(parent)
        unranked: list[ast.Param] = []
        for p in decl.params:
            value = bound.args[p.name]
            if value is None:
                assert p.default is not None  # `bind` leaves unset only what has a default
                value = self.expr(p.default, Frame(ConstEmitter(Block(), True), parent))
            if p.type is not None:
                unify(p.type, value, subst, parent, bound.locs.get(p.name, e.loc),
                      f"argument '{p.name}' of {decl.name}")
                if (isinstance(p.type, ast.TensorTypeExpr) and isinstance(value, Dyn)
                        and isinstance(value.type, TensorT) and value.type.shape is None):
                    unranked.append(p)
            scope.names[p.name] = value
        if unranked:
            self.expect_shapes(decl, unranked, scope, subst, parent, frame.em, e.loc)
        inner = Frame(frame.em, scope, model, depth=frame.depth + 1)
        try:
            self.block(decl.body, inner)
            return self.finish(decl, inner, subst, parent, e.loc)
        except ShapeMismatch as err:
            if not self.fits_any_sizes(decl, scope, parent, model, frame):
                raise  # the body is wrong whatever the sizes: the error is its own
            raise ShapeMismatch(e.loc, f"{decl.name}: {err.message}", [
                Note(err.loc, f"in the body of {decl.name}, for the sizes of this call"),
                *err.notes]) from None

    def expect_shapes(self, decl: ast.FnDecl, params: list[ast.Param], scope: Scope,
                      subst: Subst, parent: Scope, em: Emitter, loc: Loc) -> None:
        """Arguments whose ranks are known only at run time (a loaded model's results)
        are checked against their declared types when the call runs, one size name
        standing for one size in all of them, and are given those types here."""
        dims: list[list[int | str]] = []
        types: list[TensorT] = []
        operands: list[SSAValue] = []
        for p in params:
            assert isinstance(p.type, ast.TensorTypeExpr)
            sizes = [resolve_dim(d, subst, parent) for d in p.type.dims]
            dims.append([d if isinstance(d, int) else d or "" for d in sizes])
            types.append(TensorT(p.type.dtype, tuple(d if isinstance(d, int) else None
                                                     for d in sizes)))
            argument = scope.names[p.name]
            assert isinstance(argument, Dyn)  # the caller found it a tensor of unknown rank
            operands.append(argument.ssa)
        op = host.ExpectShapesOp.create(
            operands=operands,
            result_types=[ir_type(t) for t in types],
            properties={
                "dims": ArrayAttr([ArrayAttr([IntegerAttr(d, i64) if isinstance(d, int)
                                              else StringAttr(d) for d in ds]) for ds in dims]),
                "labels": ArrayAttr([StringAttr(f"argument '{p.name}' of {decl.name}")
                                     for p in params]),
            })
        em.insert(op, loc)
        for p, result, t in zip(params, op.results, types):
            scope.names[p.name] = Dyn(result, t)

    def fits_any_sizes(self, decl: ast.FnDecl, scope: Scope, parent: Scope, model: Scope | None,
                       frame: Frame) -> bool:
        """Whether a body generates (into a scratch block) for tensors of its declared
        types with their size names left symbolic: then a shape mismatch it met came from
        the sizes of one call, and is reported there (M-LANGUAGE.md section 3)."""
        generic = Scope(parent)
        for p in decl.params:
            declared = None if p.type is None else declared_type(p.type, {}, parent)
            value = scope.names[p.name]
            if isinstance(declared, TensorT):
                value = stand_in(declared)
            generic.names[p.name] = value
        scratch = Frame(frame.em.nested(Block()), generic, model, depth=frame.depth + 1)
        try:
            self.block(decl.body, scratch)
        except ShapeMismatch:
            return False
        except CompileError:
            pass  # something else than sizes stops it: leave the mismatch to the call
        return True

    def finish(self, decl: ast.FnDecl, frame: Frame, subst: Subst, scope: Scope,
               loc: Loc) -> Value:
        """The value a function body returned, checked against its declared result."""
        if not frame.returned:
            if decl.result is not None:
                raise CompileError(decl.loc, f"'{decl.name}' ends without returning a value")
            return Static(None)
        result = frame.result
        assert result is not None
        if decl.result is not None:
            unify(decl.result, result, subst, scope, decl.result.loc,
                  f"the result of {decl.name}")
        return result

    def host_method_call(self, owner: Dyn[MType], method: str, e: ast.Call, args: list[Value],
                         kwargs: dict[str, Value], frame: Frame) -> Value:
        """`net(x)` or `net.encode(x)` in the host program: a `model.call`."""
        if kwargs:
            raise CompileError(e.kwargs[0].loc, "model methods take positional arguments only")
        values = [frame.em.value(a, n.loc) for a, n in zip(args, e.args)]
        for v, n in zip(values, e.args):
            if not isinstance(v.type, TensorT) and v.type not in (INT, FLOAT, BOOL):
                raise CompileError(n.loc, f"model inputs must be tensors or numbers, got {v.type}")
        assert isinstance(owner.type, ModelT)  # only model values are given methods
        t = self.method_result(owner.type, method, [v.type for v in values], e.loc)
        results = list(t.elements) if isinstance(t, TupleT) else [t]
        op = CallOp(owner.ssa, method, [v.ssa for v in values], [ir_type(r) for r in results])
        frame.em.insert(op, e.loc)
        if isinstance(t, TupleT):
            return Seq(tuple(Dyn(r, rt) for r, rt in zip(op.results, results)), True)
        return Dyn(op.results[0], t)

    def method_result(self, model: ModelT, method: str, args: list[MType], loc: Loc,
                      labels: Sequence[str] = ()) -> MType:
        """The result type of a method called with arguments of the given types; `labels`
        name the arguments in messages (a record's fields), else their positions."""
        if model.definition is None:
            return TensorT("f32", None)
        info = self.by_symbol[model.definition]
        params = method_params(info, method, loc)
        if len(args) != len(params):
            raise CompileError(loc, f"{method} of {info.decl.name} takes {len(params)} "
                                    f"arguments, got {len(args)}")
        subst: Subst = {}
        for i, (p, a) in enumerate(zip(params, args)):
            if p is not None:
                unify(p, stand_in(a), subst, info.scope, loc,
                      labels[i] if labels else f"argument {i + 1} of {info.decl.name}.{method}")
        return substitute(info.results[method], subst)

    def param_names(self, model: ModelT, method: str, loc: Loc) -> tuple[str, ...] | None:
        """The names of a method's parameters, or None where the model is known only at
        run time (a sequential model's forward takes `x`)."""
        if model.definition is None:
            return None
        info = self.by_symbol[model.definition]
        method_params(info, method, loc)  # the error for a method the model lacks
        decl = next((m for m in info.decl.methods if m.name == method), None)
        if decl is not None:
            return tuple(p.name for p in decl.params)
        return ("x",) if info.decl.stages is not None and method == "forward" else None

    def input_dtype(self, model: ModelT, loc: Loc) -> str | None:
        """The dtype of the tensor that forward takes first, or None where it is unknown."""
        if model.definition is None:
            return None
        params = method_params(self.by_symbol[model.definition], "forward", loc)
        first = params[0] if params else None
        return first.dtype if isinstance(first, ast.TensorTypeExpr) else None


def stand_in(t: MType) -> Dyn[MType]:
    """A value of type `t` that no op computes (a scratch block's argument), for checking
    types alone."""
    return Dyn(Block(arg_types=[ir_type(t)]).args[0], t)


def substitute(t: MType, subst: Subst) -> MType:
    """`t` with the size names bound in `subst` replaced (in tuple elements too)."""
    if isinstance(t, TensorT) and t.shape is not None:
        return TensorT(t.dtype, tuple(subst.get(d, d) if isinstance(d, str) else d
                                      for d in t.shape))
    if isinstance(t, TupleT):
        return TupleT(tuple(substitute(e, subst) for e in t.elements))
    return t
