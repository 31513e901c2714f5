"""IR generation: one method per AST node kind, building a `builtin.module` that holds a
`model.def` per specialised model and the host program as `func.func @main`.

Types and shapes are checked while the IR is built (as in MLIR's Toy): every value carries
its M type with symbolic sizes, and a mismatch is a `CompileError` at the offending node.
Model methods, sub-models and free functions called from a method are inlined; `for` and
`if` inside them are resolved at compile time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr, DenseArrayBase, FileLineColLoc, FloatAttr, IntAttr, IntegerAttr, ModuleOp,
    StringAttr, TensorType, f64, i32, i64,
)
from xdsl.ir import Block, Region

from mlang.dialects.model import host
from mlang.dialects.model.structure import CallOp, DefOp, InstantiateOp, ParamOp
from mlang.frontend import ast, limits
from mlang.frontend.emitter import Emitter
from mlang.frontend.host_functions import HOST_FUNCTIONS, emit_host_function
from mlang.frontend.layers import SIGNATURES as LAYER_SIGNATURES
from mlang.frontend.layers import emit_layer, layer_params, make_layer
from mlang.frontend.signatures import REQUIRED, Signature, bind
from mlang.frontend.tensor_functions import (
    BINARY_NAMES, FUNCTIONS, emit_binary, emit_function, emit_unary, matmul, slice_items,
    static_int,
)
from mlang.frontend.typecheck import (
    declared_type, resolve_dim, specialised_name, unify, value_type,
)
from mlang.frontend.types import (
    BOOL, DTYPES, FLOAT, INT, SCALAR_TENSORS, DatasetT, ListT, ModelT, MType, ScalarT, TensorT,
    TupleT, ir_type,
)
from mlang.frontend.values import (
    BuiltinRef, DType, Dyn, Field, FieldPath, FnRef, LayerList, LayerSpec, MethodRef,
    ModelClass, Seq, Static, StaticValue, SubModel, Value, describe,
)
from mlang.support.diagnostics import CompileError, Loc, Note, ShapeMismatch

MAX_INLINE_DEPTH = 64


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

    def assign(self, name: str, value: Value) -> bool:
        """Rebinds `name` where it is defined; False when it is not defined."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                scope.names[name] = value
                return True
            scope = scope.parent
        return False


@dataclass
class ModelInfo:
    """A specialised model: its declaration, hyper-parameters, fields and `model.def`."""

    symbol: str
    decl: ast.ModelDecl
    hparams: dict[str, StaticValue]
    fields: dict[str, object]
    scope: Scope
    definition: DefOp
    params: dict[str, tuple[str, TensorType]] = field(default_factory=dict)
    results: dict[str, MType] = field(default_factory=dict)
    field_methods: dict[str, list[ast.TypeExpr]] = field(default_factory=dict)
    """Methods made for the host's calls of fields (`@encoder.forward`): argument types."""


@dataclass
class Frame:
    """The state of one function body being generated (a method, an inlined call, main)."""

    em: Emitter
    scope: Scope
    model_scope: Scope | None = None
    result: Value | None = None
    returned: bool = False
    depth: int = 0

    @property
    def is_host(self) -> bool:
        """Whether this is the host program itself, whose loops and conditions may be
        decided at run time and whose reassigned names are slots. A method or a function
        body, even one inlined into the host, unrolls its loops and decides its
        conditions at compile time, and its names are its own."""
        return self.depth == 0 and not self.em.in_model


class ConstEmitter(Emitter):
    """An emitter for expressions that must be known at compile time (fields, defaults)."""

    def insert(self, op, loc):  # noqa: ANN001, ANN201 - same signature as Emitter.insert
        raise CompileError(loc, "this value must be known at compile time")


class IRGen:
    """Generates the IR of one program (its imports already merged into `decls`)."""

    def __init__(self, decls: list[ast.ModelDecl | ast.FnDecl], statements: list[ast.Stmt]):
        self.module = ModuleOp([])
        self.statements = statements
        self.models: dict[tuple, ModelInfo] = {}
        self.expanding: list[ast.ModelDecl] = []
        """The models whose fields are being made, outermost first (a model may not hold
        itself)."""
        self.by_symbol: dict[str, ModelInfo] = {}
        self.globals = Scope(None, builtin_names())
        for d in decls:
            self.globals.names[d.name] = ModelClass(d) if isinstance(d, ast.ModelDecl) else FnRef(d)
        self.slots = assigned_names(statements)
        self.slot_types: dict[str, MType] = {}
        self.budget = limits.Budget()

    # ------------------------------------------------------------------ program

    def generate(self, end: Loc) -> ModuleOp:
        """Builds the module: models as they are instantiated, then `func.func @main`."""
        block = Block()
        frame = Frame(Emitter(block, in_model=False), Scope(self.globals))
        self.block(self.statements, frame)
        frame.em.insert(func.ReturnOp(), end)
        main = func.FuncOp("main", ((), ()), Region(block))
        main.location = block.last_op.location if block.last_op else None  # type: ignore[assignment]
        self.module.body.block.add_op(main)
        return self.module

    def block(self, stmts: tuple[ast.Stmt, ...] | list[ast.Stmt], frame: Frame) -> None:
        """Generates statements in order, stopping after a `return`."""
        for s in stmts:
            if frame.returned:
                return
            self.stmt(s, frame)

    def stmt(self, s: ast.Stmt, frame: Frame) -> None:
        """Generates one statement; an expression too deep for Python's stack is an error."""
        self.budget.statement(s.loc)
        try:
            self.stmt_kind(s, frame)
        except RecursionError:
            # Operator chains (`1 + 1 + ...`, `- - x`) parse in loops but nest in the tree.
            raise CompileError(s.loc, "expression is too deeply nested to compile") from None
        except MemoryError:
            raise limits.out_of_memory(s.loc) from None

    def stmt_kind(self, s: ast.Stmt, frame: Frame) -> None:
        """Dispatches on the statement kind."""
        if isinstance(s, ast.Let):
            self.let(s, frame)
        elif isinstance(s, ast.Assign):
            self.assign(s.target, self.expr(s.value, frame), frame, s.loc)
        elif isinstance(s, ast.ExprStmt):
            self.expr(s.expr, frame)
        elif isinstance(s, ast.Return):
            self.return_(s, frame)
        elif isinstance(s, ast.For):
            self.for_(s, frame)
        elif isinstance(s, ast.If):
            self.if_(s, frame)
        else:
            raise CompileError(s.loc, f"{type(s).__name__.lower()} is not allowed here")

    def let(self, s: ast.Let, frame: Frame) -> None:
        """`let a = e` and `let (a, b) = e`."""
        value = self.expr(s.value, frame)
        if not s.unpack:
            self.define(s.names[0], value, frame)
            return
        items = self.unpack(value, len(s.names), frame, s.value.loc)
        for name, item in zip(s.names, items):
            self.define(name, item, frame)

    def define(self, name: ast.Name, value: Value, frame: Frame) -> None:
        """Binds a new variable (a slot in the host program when it is reassigned later)."""
        if frame.is_host and name.id in self.slots:
            self.store_slot(name, value, frame)
            return
        frame.scope.names[name.id] = value

    def assign(self, target: ast.Name, value: Value, frame: Frame, loc: Loc) -> None:
        """`a = e`: rebinds an existing variable."""
        if frame.is_host and target.id in self.slots:
            if target.id not in self.slot_types and frame.scope.lookup(target.id) is None:
                raise CompileError(target.loc, f"'{target.id}' is not defined; use 'let'")
            self.store_slot(target, value, frame)
            return
        if not frame.scope.assign(target.id, value):
            raise CompileError(target.loc, f"'{target.id}' is not defined; use 'let {target.id}'")

    def store_slot(self, name: ast.Name, value: Value, frame: Frame) -> None:
        """Stores a host variable that is assigned more than once."""
        d = frame.em.value(value, name.loc)
        known = self.slot_types.setdefault(name.id, d.type)
        if known != d.type:
            raise CompileError(name.loc, f"'{name.id}' holds {known}; cannot assign {d.type}")
        op = host.SetVarOp.create(operands=[d.ssa], properties={"var": StringAttr(name.id)})
        frame.em.insert(op, name.loc)

    def unpack(self, value: Value, n: int, frame: Frame, loc: Loc) -> list[Value]:
        """The elements of a tuple or list value, for `let (a, b) = ...`."""
        if isinstance(value, Seq):
            items: list[Value] = list(value.items)
        elif isinstance(value, Static) and isinstance(value.value, (list, tuple)):
            items = [Static(v) for v in value.value]
        elif isinstance(value, Dyn) and isinstance(value.type, TupleT):
            items = [self.tuple_get(value, i, frame, loc) for i in range(len(value.type.elements))]
        elif (isinstance(value, Dyn) and isinstance(value.type, TensorT)
              and value.type.shape is None):
            # What a loaded model returns: a tuple or not is known when the program runs.
            unpack = host.UnpackOp.create(operands=[value.ssa],
                                          result_types=[ir_type(value.type)] * n)
            frame.em.insert(unpack, loc)
            return [Dyn(r, value.type) for r in unpack.results]
        else:
            raise CompileError(loc, f"cannot unpack {describe(value)} into {n} names")
        if len(items) != n:
            raise CompileError(loc, f"cannot unpack {len(items)} values into {n} names")
        return items

    def tuple_get(self, value: Dyn, i: int, frame: Frame, loc: Loc) -> Dyn:
        """Element `i` of a host tuple."""
        assert isinstance(value.type, TupleT)
        index = frame.em.host_constant(i, loc)
        t = value.type.elements[i]
        op = host.IndexOp.create(operands=[value.ssa, index.ssa], result_types=[ir_type(t)])
        return frame.em.result(op, t, loc)

    def return_(self, s: ast.Return, frame: Frame) -> None:
        """`return e` inside a function body."""
        if frame.is_host:
            raise CompileError(s.loc, "'return' outside a function")
        frame.result = Static(None) if s.value is None else self.expr(s.value, frame)
        frame.returned = True

    def for_(self, s: ast.For, frame: Frame) -> None:
        """A loop: unrolled in models, functions and over compile-time sequences (a list
        literal), `model.for` on the host otherwise."""
        it = s.iter
        if isinstance(it, ast.Range):
            lo, hi = self.expr(it.lo, frame), self.expr(it.hi, frame)
            if isinstance(lo, Static) and isinstance(hi, Static) and not frame.is_host:
                start = static_int(lo, it.lo.loc, "range start")
                stop = static_int(hi, it.hi.loc, "range end")
                steps = self.budget.unrolled_range(start, stop, it.loc)  # type: ignore[arg-type]
                self.unroll(s, [Static(i) for i in steps], frame)
                return
            if not frame.is_host:
                raise CompileError(it.loc, f"loop bounds in {where(frame)} must be known at "
                                           "compile time")
            self.host_loop(s, self.host_range(lo, hi, it, frame), frame)
            return
        seq = self.expr(it, frame)
        if isinstance(seq, LayerList):
            self.unroll(s, list(seq.items), frame)  # type: ignore[arg-type]
        elif isinstance(seq, Seq):
            self.unroll(s, list(seq.items), frame)
        elif isinstance(seq, Static) and isinstance(seq.value, (list, tuple)):
            # Unrolled on the host too: each item is then known at compile time, and may
            # be a model's hyper-parameter (`for h in [4, 8] { Mlp(h) }`).
            self.unroll(s, [Static(v) for v in seq.value], frame)
        elif not frame.is_host:
            raise CompileError(it.loc, f"cannot loop over {describe(seq)} in {where(frame)}")
        else:
            d = frame.em.value(seq, it.loc)
            if not isinstance(d.type, ListT):
                raise CompileError(it.loc, f"cannot loop over {d.type}")
            self.host_loop(s, d, frame)

    def unroll(self, s: ast.For, items: list[Value], frame: Frame) -> None:
        """Generates the body once per item."""
        for item in items:
            inner = Frame(frame.em, Scope(frame.scope, {s.var.id: item}), frame.model_scope,
                          depth=frame.depth)
            self.block(s.body, inner)
            if inner.returned:
                frame.result, frame.returned = inner.result, True
                return

    def host_range(self, lo: Value, hi: Value, it: ast.Range, frame: Frame) -> Dyn:
        """`lo..hi` as a host list of ints."""
        a = frame.em.value(lo, it.lo.loc)
        b = frame.em.value(hi, it.hi.loc)
        for v, node in ((a, it.lo), (b, it.hi)):
            if v.type != INT:
                raise CompileError(node.loc, f"range bounds must be ints, got {v.type}")
        t = ListT(INT)
        return frame.em.result(
            host.RangeOp.create(operands=[a.ssa, b.ssa], result_types=[ir_type(t)]), t, it.loc)

    def host_loop(self, s: ast.For, items: Dyn, frame: Frame) -> None:
        """A host `model.for` over a list."""
        assert isinstance(items.type, ListT)
        elem = items.type.element or INT
        body = Block(arg_types=[ir_type(elem)])
        body.args[0].name_hint = s.var.id
        inner = Frame(frame.em.nested(body), Scope(frame.scope, {s.var.id: Dyn(body.args[0], elem)}),
                      depth=frame.depth)
        self.block(s.body, inner)
        inner.em.insert(host.YieldOp(), s.loc)
        frame.em.insert(host.ForOp.create(operands=[items.ssa], regions=[Region(body)]), s.loc)

    def if_(self, s: ast.If, frame: Frame) -> None:
        """`if`: resolved at compile time when the condition is known, else `model.if`."""
        cond = self.expr(s.cond, frame)
        if isinstance(cond, Static):
            if not isinstance(cond.value, bool):
                raise CompileError(s.cond.loc, f"condition must be a boolean, got {describe(cond)}")
            self.branch(s.then if cond.value else s.orelse, frame)
            return
        if not frame.is_host:
            raise CompileError(s.cond.loc, f"a condition in {where(frame)} must be known at "
                                           "compile time")
        c = frame.em.value(cond, s.cond.loc)
        if c.type != BOOL:
            raise CompileError(s.cond.loc, f"condition must be a boolean, got {c.type}")
        regions = []
        for stmts in (s.then, s.orelse):
            block = Block()
            inner = Frame(frame.em.nested(block), Scope(frame.scope), depth=frame.depth)
            self.block(stmts, inner)
            inner.em.insert(host.YieldOp(), s.loc)
            regions.append(Region(block))
        frame.em.insert(host.IfOp.create(operands=[c.ssa], regions=regions), s.loc)

    def branch(self, stmts: tuple[ast.Stmt, ...], frame: Frame) -> None:
        """A branch chosen at compile time, in its own scope."""
        inner = Frame(frame.em, Scope(frame.scope), frame.model_scope, depth=frame.depth)
        self.block(stmts, inner)
        if inner.returned:
            frame.result, frame.returned = inner.result, True

    # -------------------------------------------------------------- expressions

    def expr(self, e: ast.Expr, frame: Frame) -> Value:
        """Evaluates an expression to a compile-time value or emits the ops computing it."""
        if isinstance(e, ast.Name):
            return self.name(e, frame)
        if isinstance(e, (ast.IntLit, ast.FloatLit, ast.StrLit, ast.BoolLit)):
            return Static(e.value)
        if isinstance(e, (ast.ListLit, ast.TupleLit)):
            items = [self.expr(x, frame) for x in e.elts]
            is_tuple = isinstance(e, ast.TupleLit)
            if all(isinstance(i, Static) for i in items):
                values = [i.value for i in items]  # type: ignore[union-attr]
                return Static(tuple(values) if is_tuple else values)
            return Seq(tuple(items), is_tuple)
        if isinstance(e, ast.BinOp):
            return self.binop(e, frame)
        if isinstance(e, ast.UnaryOp):
            name = "neg" if e.op == "-" else "not"
            return emit_unary(frame.em, name, self.expr(e.operand, frame), e.loc)
        if isinstance(e, ast.Call):
            return self.call(e, frame)
        if isinstance(e, ast.Attribute):
            return self.attribute(e, frame)
        if isinstance(e, ast.Subscript):
            return self.subscript(e, frame)
        raise CompileError(e.loc, "a range 'a..b' may only follow 'for NAME in'")

    def name(self, e: ast.Name, frame: Frame) -> Value:
        """A variable, a declaration or a built-in."""
        if frame.is_host and e.id in self.slots and e.id in self.slot_types:
            t = self.slot_types[e.id]
            op = host.GetVarOp.create(properties={"var": StringAttr(e.id)},
                                      result_types=[ir_type(t)])
            return frame.em.result(op, t, e.loc)
        value = frame.scope.lookup(e.id)
        if value is None:
            raise CompileError(e.loc, f"unknown name '{e.id}'")
        return value

    def binop(self, e: ast.BinOp, frame: Frame) -> Value:
        """A binary operator."""
        lhs, rhs = self.expr(e.lhs, frame), self.expr(e.rhs, frame)
        if e.op == "@":
            return matmul(frame.em, lhs, rhs, e.loc)
        return emit_binary(frame.em, BINARY_NAMES[e.op], lhs, rhs, e.loc)

    def attribute(self, e: ast.Attribute, frame: Frame) -> Value:
        """`data.x`, `model.method`, `sub.field`."""
        owner = self.expr(e.value, frame)
        if isinstance(owner, Dyn) and isinstance(owner.type, DatasetT) and e.name in ("x", "y"):
            op = host.DataXOp if e.name == "x" else host.DataYOp
            d = owner.type
            t = TensorT("f32", (None, d.features)) if e.name == "x" else TensorT(d.labels, (None,))
            created = op.create(operands=[owner.ssa], result_types=[ir_type(t)])
            return frame.em.result(created, t, e.loc)
        if isinstance(owner, Dyn) and isinstance(owner.type, ModelT):
            if owner.type.definition is not None:
                fields = self.by_symbol[owner.type.definition].fields
                if e.name in fields:
                    return FieldPath(owner, e.name, fields[e.name])
            self.check_method(owner.type, e.name, e.loc)
            return MethodRef(owner, e.name)
        if isinstance(owner, FieldPath) and isinstance(owner.field, SubModel):
            sub = owner.field
            if e.name in sub.fields:
                return FieldPath(owner.owner, f"{owner.path}.{e.name}", sub.fields[e.name])
            if e.name in method_names(sub.decl):
                return MethodRef(owner, e.name)
            raise CompileError(e.loc, f"model {sub.decl.name} has no field or method '{e.name}'")
        if isinstance(owner, SubModel):
            if e.name in owner.fields:
                return owner.fields[e.name]  # type: ignore[return-value]
            if any(m.name == e.name for m in owner.decl.methods):
                return MethodRef(owner, e.name)
            raise CompileError(e.loc, f"model {owner.decl.name} has no field or method '{e.name}'")
        if isinstance(owner, MethodRef) and isinstance(owner.owner, Dyn):
            raise CompileError(e.loc, f"'{owner.name}.{e.name}': a model read by load_model "
                                      "is called through its methods, not its fields")
        raise CompileError(e.loc, f"{describe(owner)} has no attribute '{e.name}'")

    def check_method(self, t: ModelT, name: str, loc: Loc) -> None:
        """Checks that a model instance has a method."""
        if t.definition is None:
            return
        info = self.by_symbol[t.definition]
        if name not in method_names(info.decl):
            raise CompileError(loc, f"model {info.decl.name} has no method '{name}'")

    def subscript(self, e: ast.Subscript, frame: Frame) -> Value:
        """`v[i]`, `v[i:j]`, `x[:, 0]`."""
        value = self.expr(e.value, frame)
        if isinstance(value, (LayerList, Seq)) or (
            isinstance(value, Static) and isinstance(value.value, (list, tuple))
        ):
            return self.static_index(value, e, frame)
        if not isinstance(value, Dyn):
            raise CompileError(e.loc, f"cannot index {describe(value)}")
        # Each subscript is evaluated once: its ops are emitted once, whatever it becomes.
        evaluated = [self.eval_item(i, frame) for i in e.items]
        items = [static_item(i, v) for i, v in zip(e.items, evaluated)]
        if isinstance(value.type, TensorT) and all(i is not None for i in items):
            return slice_items(frame.em, value, items, e.loc)  # type: ignore[arg-type]
        if isinstance(value.type, TupleT) and len(items) == 1 and isinstance(items[0], int):
            count = len(value.type.elements)
            if not -count <= items[0] < count:
                raise CompileError(e.items[0].loc,
                                   f"index {items[0]} is out of range for {count} items")
            return self.tuple_get(value, items[0] % count, frame, e.loc)
        if frame.em.in_model:
            raise CompileError(e.loc, "indices in a model must be known at compile time")
        return self.host_index(value, e, evaluated, frame)

    def eval_item(self, item: ast.Expr | ast.Slice, frame: Frame) -> SubscriptValue:
        """The value of one subscript: a value, or a slice's (lo, hi, step) values."""
        if isinstance(item, ast.Slice):
            return tuple(None if p is None else self.expr(p, frame)
                         for p in (item.lo, item.hi, item.step))  # type: ignore[return-value]
        return self.expr(item, frame)

    def subscript_item(self, item: ast.Expr | ast.Slice, frame: Frame) -> int | slice | None:
        """A subscript known at compile time, or None."""
        return static_item(item, self.eval_item(item, frame))

    def static_index(self, value: Value, e: ast.Subscript, frame: Frame) -> Value:
        """Indexing a compile-time sequence (a layer list, a literal)."""
        if len(e.items) != 1:
            raise CompileError(e.loc, f"{describe(value)} takes one index")
        item = self.subscript_item(e.items[0], frame)
        if item is None:
            raise CompileError(e.items[0].loc, "this index must be known at compile time")
        if isinstance(value, LayerList):
            seq: list = list(value.items)
        elif isinstance(value, Seq):
            seq = list(value.items)
        else:
            seq = [Static(v) for v in value.value]  # type: ignore[union-attr]
        if isinstance(item, slice):
            return Seq(tuple(seq[item]), False)
        if not -len(seq) <= item < len(seq):
            raise CompileError(e.items[0].loc, f"index {item} is out of range for {len(seq)} items")
        return seq[item]

    def host_index(self, value: Dyn, e: ast.Subscript, evaluated: list[SubscriptValue],
                   frame: Frame) -> Value:
        """Run-time indexing on the host: one index or slice on the first dimension."""
        if len(e.items) != 1:
            raise CompileError(e.loc, "only the first dimension may have a run-time index")
        item, v = e.items[0], evaluated[0]
        em = frame.em
        if isinstance(item, ast.Slice):
            assert isinstance(v, tuple)
            if item.step is not None:
                raise CompileError(item.loc, "a run-time slice cannot have a step")
            bounds = [None if b is None else self.int_value(b, p.loc, frame)  # type: ignore[union-attr]
                      for b, p in zip(v[:2], (item.lo, item.hi))]
            if isinstance(value.type, TupleT):
                raise CompileError(e.loc, "tuples cannot be sliced")
            t = value.type
            if isinstance(t, TensorT) and t.shape:
                t = TensorT(t.dtype, (None,) + t.shape[1:])
            op = host.SliceRowsOp.create(
                operands=[value.ssa] + [b.ssa for b in bounds if b is not None],
                result_types=[ir_type(t)], properties=segment_sizes([1] + [int(b is not None) for b in bounds]))
            return em.result(op, t, e.loc)
        index = self.int_value(v, item.loc, frame)  # type: ignore[arg-type]
        t = element_type(value.type, e.loc)
        op = host.IndexOp.create(operands=[value.ssa, index.ssa], result_types=[ir_type(t)])
        return em.result(op, t, e.loc)

    def int_value(self, v: Value, loc: Loc, frame: Frame) -> Dyn:
        """A host int operand."""
        d = frame.em.value(v, loc)
        if d.type != INT:
            raise CompileError(loc, f"an index must be an int, got {d.type}")
        return d

    # -------------------------------------------------------------------- calls

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
        if isinstance(callee, MethodRef) and isinstance(callee.owner, FieldPath):
            return self.field_call(callee.owner, callee.name, e, args, kwargs, frame)
        if isinstance(callee, LayerSpec):
            return emit_layer(em, callee, self.single_arg(e, args, kwargs, callee.kind), e.loc)
        if isinstance(callee, SubModel):
            return self.inline_method(MethodRef(callee, "forward"), e, args, kwargs, frame)
        if isinstance(callee, MethodRef) and not isinstance(callee.owner, Dyn):
            return self.inline_method(callee, e, args, kwargs, frame)
        if isinstance(callee, FnRef):
            return self.inline(callee.decl, self.globals, e, args, kwargs, frame, None)
        if isinstance(callee, ModelClass):
            if em.in_model:
                raise CompileError(e.loc, "models are created as fields of a model, not in methods")
            return self.instantiate(callee.decl, e, args, kwargs, frame)
        if isinstance(callee, MethodRef):
            return self.host_method_call(callee.owner, callee.name, e, args, kwargs, frame)  # type: ignore[arg-type]
        if isinstance(callee, Dyn) and isinstance(callee.type, ModelT):
            return self.host_method_call(callee, "forward", e, args, kwargs, frame)
        raise CompileError(e.func.loc, f"{describe(callee)} is not callable")

    def keywords(self, e: ast.Call, frame: Frame) -> dict[str, Value]:
        """The keyword arguments of a call, each named once."""
        out: dict[str, Value] = {}
        for kw in e.kwargs:
            if kw.name in out:
                raise CompileError(kw.loc, f"keyword argument '{kw.name}' is given twice")
            out[kw.name] = self.expr(kw.value, frame)
        return out

    def single_arg(self, e: ast.Call, args: list[Value], kwargs: dict, what: str) -> Value:
        """The one positional argument of a layer call."""
        if len(args) != 1 or kwargs:
            raise CompileError(e.loc, f"{what} takes exactly one input, got {len(args) + len(kwargs)}")
        return args[0]

    def builtin_call(self, name: str, e: ast.Call, args: list[Value], kwargs: dict[str, Value],
                     frame: Frame) -> Value:
        """A built-in function; layers and `repeat` are only valid as fields."""
        if name in LAYER_SIGNATURES or name == "repeat":
            raise CompileError(e.loc, f"{name} creates a layer: declare it as a model field")
        if name in FUNCTIONS:
            return emit_function(frame.em, e, name, args, kwargs)
        if frame.em.in_model:
            raise CompileError(e.loc, f"{name} can only be used in the host program")
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
            raise CompileError(e.loc, f"model {decl.name} has no method '{ref.name}'")
        return self.inline(method, scope, e, args, kwargs, frame, scope)

    def enclosing_decl(self, frame: Frame) -> ast.ModelDecl:
        """The declaration of the model whose method is being generated."""
        decl = frame.model_scope.lookup("__model__")  # type: ignore[union-attr]
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
        subst: dict[str, object] = {}
        scope = Scope(parent)
        unranked: list[ast.Param] = []
        for p in decl.params:
            value = bound.args[p.name]
            if value is None:
                value = self.expr(p.default, Frame(ConstEmitter(Block(), True), parent))  # type: ignore[arg-type]
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
            if not self.fits_any_sizes(decl, scope, model, frame):
                raise  # the body is wrong whatever the sizes: the error is its own
            raise ShapeMismatch(e.loc, f"{decl.name}: {err.message}", [
                Note(err.loc, f"in the body of {decl.name}, for the sizes of this call"),
                *err.notes]) from None

    def expect_shapes(self, decl: ast.FnDecl, params: list[ast.Param], scope: Scope,
                      subst: dict[str, object], parent: Scope, em: Emitter, loc: Loc) -> None:
        """Arguments whose ranks are known only at run time (a loaded model's results)
        are checked against their declared types when the call runs, one size name
        standing for one size in all of them, and are given those types here."""
        dims: list[list[int | str]] = []
        types: list[TensorT] = []
        for p in params:
            assert isinstance(p.type, ast.TensorTypeExpr)
            sizes = [resolve_dim(d, subst, parent) for d in p.type.dims]
            dims.append([d if isinstance(d, int) else d or "" for d in sizes])  # type: ignore[misc]
            types.append(TensorT(p.type.dtype, tuple(d if isinstance(d, int) else None
                                                     for d in sizes)))
        op = host.ExpectShapesOp.create(
            operands=[scope.names[p.name].ssa for p in params],  # type: ignore[union-attr]
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

    def fits_any_sizes(self, decl: ast.FnDecl, scope: Scope, model: Scope | None,
                       frame: Frame) -> bool:
        """Whether a body generates (into a scratch block) for tensors of its declared
        types with their size names left symbolic: then a shape mismatch it met came from
        the sizes of one call, and is reported there (M-LANGUAGE.md section 3)."""
        generic = Scope(scope.parent)
        for p in decl.params:
            declared = None if p.type is None else declared_type(p.type, {}, scope.parent)
            value = scope.names[p.name]
            if isinstance(declared, TensorT):
                value = Dyn(Block(arg_types=[ir_type(declared)]).args[0], declared)
            generic.names[p.name] = value
        scratch = Frame(frame.em.nested(Block()), generic, model, depth=frame.depth + 1)
        try:
            self.block(decl.body, scratch)
        except ShapeMismatch:
            return False
        except CompileError:
            pass  # something else than sizes stops it: leave the mismatch to the call
        return True

    def finish(self, decl: ast.FnDecl, frame: Frame, subst: dict, scope: Scope, loc: Loc) -> Value:
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

    def field_call(self, fp: FieldPath, method: str, e: ast.Call, args: list[Value],
                   kwargs: dict[str, Value], frame: Frame) -> Value:
        """`m.encoder(x)` or `m.encoder.embed(x)` in the host program: a method of `m`'s
        definition made once to run that field's method (`@encoder.forward`), called like
        any other method."""
        info = self.by_symbol[fp.owner.type.definition]  # type: ignore[union-attr]
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
        else:
            raise CompileError(e.loc, f"'{fp.path}' is a list of layers: call one of them "
                                      "inside a method")
        if any(t is None for t in types):
            raise CompileError(e.loc, f"the input of '{fp.path}' is not known: call it inside "
                                      "a method")
        block, values = self.arguments(types, scope, e.loc)  # type: ignore[arg-type]
        frame = Frame(Emitter(block, True, info.params), Scope(scope), scope, depth=1)
        if isinstance(f, LayerSpec):
            result: Value = emit_layer(frame.em, f, values[0], e.loc)
        else:
            result = self.inline_method(MethodRef(f, method), e, values, {}, frame)  # type: ignore[arg-type]
        self.close_method(info, symbol, result, frame.em, e.loc)
        info.field_methods[symbol] = types  # type: ignore[assignment]

    def arguments(self, types: list[ast.TypeExpr], scope: Scope,
                  loc: Loc) -> tuple[Block, list[Dyn]]:
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

    def host_method_call(self, owner: Dyn, method: str, e: ast.Call, args: list[Value],
                         kwargs: dict[str, Value], frame: Frame) -> Value:
        """`net(x)` or `net.encode(x)` in the host program: a `model.call`."""
        if kwargs:
            raise CompileError(e.kwargs[0].loc, "model methods take positional arguments only")
        values = [frame.em.value(a, n.loc) for a, n in zip(args, e.args)]
        for v, n in zip(values, e.args):
            if not isinstance(v.type, TensorT) and v.type not in (INT, FLOAT, BOOL):
                raise CompileError(n.loc, f"model inputs must be tensors or numbers, got {v.type}")
        t = self.method_result(owner.type, method, [v.type for v in values], e.loc)  # type: ignore[arg-type]
        results = list(t.elements) if isinstance(t, TupleT) else [t]
        op = CallOp(owner.ssa, method, [v.ssa for v in values], [ir_type(r) for r in results])
        frame.em.insert(op, e.loc)
        if isinstance(t, TupleT):
            return Seq(tuple(Dyn(r, rt) for r, rt in zip(op.results, results)), True)
        return Dyn(op.results[0], t)

    def method_result(self, model: ModelT, method: str, args: list[MType], loc: Loc) -> MType:
        """The result type of a method called with arguments of the given types."""
        if model.definition is None:
            return TensorT("f32", None)
        info = self.by_symbol[model.definition]
        params = method_params(info, method, loc)
        if len(args) != len(params):
            raise CompileError(loc, f"{method} of {info.decl.name} takes {len(params)} "
                                    f"arguments, got {len(args)}")
        subst: dict[str, object] = {}
        for i, (p, a) in enumerate(zip(params, args)):
            if p is not None:
                unify(p, Dyn(None, a), subst, info.scope, loc,  # type: ignore[arg-type]
                      f"argument {i + 1} of {info.decl.name}.{method}")
        return substitute(info.results[method], subst)

    def input_dtype(self, model: ModelT, loc: Loc) -> str | None:
        """The dtype of the tensor that forward takes first, or None where it is unknown."""
        if model.definition is None:
            return None
        params = method_params(self.by_symbol[model.definition], "forward", loc)
        first = params[0] if params else None
        return first.dtype if isinstance(first, ast.TensorTypeExpr) else None

    # ------------------------------------------------------------------- models

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
                v = self.expr(p.default, Frame(ConstEmitter(Block(), True), scope))  # type: ignore[arg-type]
                loc = p.default.loc  # type: ignore[union-attr]
            out[p.name] = hparam_value(p, v, loc, decl.name)
            scope.names[p.name] = Static(out[p.name])
        return out

    def specialise(self, decl: ast.ModelDecl, hparams: dict[str, StaticValue], loc: Loc) -> ModelInfo:
        """The `model.def` of a model for these hyper-parameters, created once."""
        key = (id(decl), tuple(hparams.items()))
        if key in self.models:
            return self.models[key]
        symbol = specialised_name(decl.name, list(hparams.values()), set(self.by_symbol))
        definition = DefOp(symbol, decl.name, hparam_attrs(hparams))
        definition.location = frame_loc(decl.loc)
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
               prefix: str) -> dict[str, object]:
        """Evaluates the fields (or sequential stages) of a model."""
        scope = Scope(self.globals, {k: Static(v) for k, v in hparams.items()})
        out: dict[str, object] = {}
        self.expanding.append(decl)
        try:
            if decl.stages is not None:
                for i, stage in enumerate(decl.stages):
                    if self.is_layer_stage(stage, scope):
                        out[str(i)] = self.field(stage, scope, join(prefix, str(i)))
                return out
            for f in decl.fields:
                if f.name in out:
                    raise CompileError(f.loc, f"field '{f.name}' is declared twice")
                out[f.name] = self.field(f.value, scope, join(prefix, f.name))
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

    def field(self, e: ast.Expr, scope: Scope, path: str) -> object:
        """One field: a built-in layer, a sub-model or `repeat(n, LAYER)`."""
        call = e if isinstance(e, ast.Call) else ast.Call(e.loc, e, (), ())
        callee = scope.lookup(call.func.id) if isinstance(call.func, ast.Name) else None
        const = Frame(ConstEmitter(Block(), True), scope)
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
            return SubModel(callee.decl, hparams, path, fields, call.loc)  # type: ignore[arg-type]
        raise CompileError(e.loc, "a field must be a built-in layer, a model, or repeat(n, LAYER)")

    def repeat(self, call: ast.Call, scope: Scope, path: str, const: Frame) -> LayerList:
        """`repeat(n, LAYER)`: n independently initialised copies."""
        if len(call.args) != 2 or call.kwargs:
            raise CompileError(call.loc, "repeat takes two arguments: repeat(n, LAYER)")
        n = static_int(self.expr(call.args[0], const), call.args[0].loc, "repeat count")
        if n < 1:  # type: ignore[operator]
            raise CompileError(call.args[0].loc, f"repeat count must be at least 1, got {n}")
        self.budget.repeat(n, call.args[0].loc)  # type: ignore[arg-type]
        items = tuple(self.field(call.args[1], scope, f"{path}.{i}") for i in range(n))  # type: ignore[arg-type]
        return LayerList(items, path)  # type: ignore[arg-type]

    def declare_params(self, info: ModelInfo) -> None:
        """Adds a `model.param` for every parameter of every layer, in field order."""
        for spec in walk_layers(info.fields):
            for p in layer_params(spec):
                name = f"{spec.path}.{p.suffix}"
                t = ir_type(TensorT("f32", p.shape))
                assert isinstance(t, TensorType)
                op = ParamOp(name, t, p.init, p.scale)
                op.location = frame_loc(spec.loc)
                info.definition.body.block.add_op(op)
                info.params[name] = (p.init, t)

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
        block, values = self.arguments([p.type for p in m.params], info.scope, m.loc)  # type: ignore[misc]
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
        f.location = frame_loc(loc)
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


# ---------------------------------------------------------------------- helpers


def builtin_names() -> dict[str, Value]:
    """The names every program sees: built-in functions, layers, dtypes and `none`."""
    names: dict[str, Value] = {n: BuiltinRef(n) for n in
                               (*FUNCTIONS, *HOST_FUNCTIONS, *LAYER_SIGNATURES, "repeat", "print")}
    names.update({d: Static(DType(d)) for d in DTYPES})
    names["none"] = Static(None)
    return names


def model_scope(parent: Scope, decl: ast.ModelDecl, hparams: dict[str, StaticValue],
                fields: dict[str, object]) -> Scope:
    """The names visible in a model's methods: hyper-parameters, fields and methods."""
    names: dict[str, Value] = {k: Static(v) for k, v in hparams.items()}
    names.update({m.name: MethodRef(None, m.name) for m in decl.methods})  # type: ignore[arg-type]
    names.update(fields)  # type: ignore[arg-type]
    names["__model__"] = ModelClass(decl)
    return Scope(parent, names)


def method_names(decl: ast.ModelDecl) -> set[str]:
    """The methods of a model (a sequential model has only `forward`)."""
    return {"forward"} if decl.stages is not None else {m.name for m in decl.methods}


def walk_layers(fields: dict[str, object]):  # noqa: ANN201 - a generator of LayerSpec
    """Every built-in layer among the fields, depth first, in declaration order."""
    for f in fields.values():
        if isinstance(f, LayerSpec):
            yield f
        elif isinstance(f, SubModel):
            yield from walk_layers(f.fields)
        elif isinstance(f, LayerList):
            yield from walk_layers({str(i): x for i, x in enumerate(f.items)})


def method_params(info: ModelInfo, method: str, loc: Loc) -> list[ast.TypeExpr | None]:
    """The declared argument types of a method (a sequential model's forward has one)."""
    if method in info.field_methods:
        return info.field_methods[method]  # type: ignore[return-value]
    decl = next((m for m in info.decl.methods if m.name == method), None)
    if decl is not None:
        return [p.type for p in decl.params]
    if info.decl.stages is None or method != "forward":
        raise CompileError(loc, f"model {info.decl.name} has no method '{method}'")
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
        return ast.TensorTypeExpr(loc, dtype, tuple(
            ast.Dim(loc, "int", d) if isinstance(d, int) else ast.Dim(loc, "name", d) for d in dims))

    if isinstance(f, LayerList):
        return field_input(f.items[0], loc, rank) if f.items else None
    if isinstance(f, SubModel):
        return sub_model_input(f, loc, rank)
    a = f.args
    leading = ("N", *(f"D{i}" for i in range(1, rank - 1)))
    table = {
        "Linear": lambda: t("f32", *leading, a["in"]),
        "Conv2d": lambda: t("f32", "N", a["in_ch"], "H", "W"),
        "Embedding": lambda: t("i64", "N", "T"),
        "LayerNorm": lambda: t("f32", *leading, a["dim"]),
        "RMSNorm": lambda: t("f32", *leading, a["dim"]),
        "Attention": lambda: t("f32", "N", "T", a["dim"]),
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
    dims = tuple(
        ast.Dim(d.loc, "int", hparams[d.value])  # type: ignore[index]
        if d.kind == "name" and isinstance(hparams.get(d.value), int) else d  # type: ignore[arg-type]
        for d in t.dims)
    return ast.TensorTypeExpr(t.loc, t.dtype, dims)


def substitute(t: MType, subst: dict) -> MType:
    """`t` with the size names bound in `subst` replaced (in tuple elements too)."""
    if isinstance(t, TensorT) and t.shape is not None:
        return TensorT(t.dtype, tuple(subst.get(d, d) if isinstance(d, str) else d
                                      for d in t.shape))  # type: ignore[misc]
    if isinstance(t, TupleT):
        return TupleT(tuple(substitute(e, subst) for e in t.elements))
    return t


def hparam_value(p: ast.Param, v: Value, loc: Loc, model: str) -> StaticValue:
    """A hyper-parameter's value, checked against its declared kind."""
    kind = p.type.name if isinstance(p.type, ast.ScalarTypeExpr) else None
    if not isinstance(v, Static) or isinstance(v.value, (DType, list, tuple)) or v.value is None:
        raise CompileError(loc, f"hyper-parameter '{p.name}' of {model} must be known at "
                                f"compile time, got {describe(v)}")
    value = v.value
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


def hparam_attrs(hparams: dict[str, StaticValue]) -> dict:
    """Hyper-parameters as IR attributes, for `model.def`'s `hparams` dictionary."""
    out: dict = {}
    for k, v in hparams.items():
        if isinstance(v, bool):
            out[k] = IntegerAttr(int(v), 1)
        elif isinstance(v, int):
            out[k] = IntegerAttr(v, i64)
        elif isinstance(v, float):
            out[k] = FloatAttr(v, f64)
        else:
            out[k] = StringAttr(str(v))
    return out


SubscriptValue = Value | tuple[Value | None, Value | None, Value | None]


def where(frame: Frame) -> str:
    """What a frame that is not the host program generates, for messages."""
    return "a model" if frame.em.in_model else "a function"


def static_item(item: ast.Expr | ast.Slice, v: SubscriptValue) -> int | slice | None:
    """A subscript known at compile time, or None."""
    if isinstance(item, ast.Slice):
        assert isinstance(v, tuple)
        if not all(p is None or isinstance(p, Static) for p in v):
            return None
        ints = [None if p is None else static_int(p, item.loc, "a slice bound") for p in v]
        if ints[2] is not None and ints[2] <= 0:
            raise CompileError(item.loc, "slice step must be positive")
        return slice(*ints)
    if isinstance(v, Static):
        return static_int(v, item.loc, "an index")
    return None


def element_type(t: MType, loc: Loc) -> MType:
    """The type of `v[i]` for a host value of type `t`."""
    if isinstance(t, ListT) and t.element is not None:
        return t.element
    if isinstance(t, TensorT) and t.shape:
        return TensorT(t.dtype, t.shape[1:])
    if isinstance(t, DatasetT):
        raise CompileError(loc, "a data set is indexed by a slice of rows: data[i:j] (one row: "
                                "data[i:i+1]), or through data.x and data.y")
    raise CompileError(loc, f"cannot index {t} with a run-time index")


def segment_sizes(sizes: list[int]) -> dict:
    """The operandSegmentSizes property."""
    return {"operandSegmentSizes": DenseArrayBase.from_list(i32, sizes)}


def assigned_names(stmts: list[ast.Stmt] | tuple[ast.Stmt, ...]) -> set[str]:
    """Names that host statements assign with `NAME = e` (they live in variable slots)."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, ast.Assign):
            out.add(s.target.id)
        elif isinstance(s, ast.For):
            out |= assigned_names(s.body)
        elif isinstance(s, ast.If):
            out |= assigned_names(s.then) | assigned_names(s.orelse)
    return out


def join(prefix: str, name: str) -> str:
    """A dotted parameter path."""
    return f"{prefix}.{name}" if prefix else name


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


def frame_loc(loc: Loc):  # noqa: ANN201 - a FileLineColLoc
    """An IR location for a source location."""
    return FileLineColLoc(StringAttr(loc.file), IntAttr(loc.line), IntAttr(loc.col))

