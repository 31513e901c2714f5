"""IR generation for statements: `let`, assignment, `return`, `for`, `break`, `continue`
and `if`.

In a model or a function body a loop is unrolled and a condition decided at compile time;
in the host program they may become `model.for` and `model.if`, and a name assigned more
than once lives in a variable slot (`model.set_var`, `model.get_var`).
"""

from __future__ import annotations

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Region

from mlang.dialects.model import host
from mlang.frontend import ast, limits
from mlang.frontend.builtin_args import static_int
from mlang.frontend.generator import IRGenBase
from mlang.frontend.scopes import Frame, Scope, where
from mlang.frontend.types import BOOL, INT, ListT, MType, TensorT, TupleT, ir_type
from mlang.frontend.values import Dyn, LayerList, Seq, Static, Value, describe
from mlang.support.diagnostics import CompileError, Loc


class SlotWidened(Exception):
    """A host variable was assigned a tensor of other sizes than it held: the program is
    generated again with the variable's type widened (`?` where the sizes differ), so
    that its reads before the assignment (in a loop body) have that type too."""

    def __init__(self, name: str, type: TensorT):
        super().__init__(name)
        self.name = name
        self.type = type


def widened(known: MType, new: MType) -> TensorT | None:
    """The type of a host variable that holds `known` and is assigned `new`: tensors of
    one dtype and rank differ in sizes only, which become `?`; else None."""
    if not isinstance(known, TensorT) or not isinstance(new, TensorT):
        return None
    if known.dtype != new.dtype or known.shape is None or new.shape is None:
        return None
    if len(known.shape) != len(new.shape):
        return None
    return TensorT(known.dtype, tuple(a if a == b else None
                                      for a, b in zip(known.shape, new.shape)))


class StatementGen(IRGenBase):
    """The statements part of `IRGen` (frontend/irgen.py), whose other parts it calls
    through `self` (`expr` for the expressions that statements hold)."""

    def block(self, stmts: tuple[ast.Stmt, ...] | list[ast.Stmt], frame: Frame) -> None:
        """Generates statements in order, stopping after a `return`, `break` or `continue`."""
        for s in stmts:
            if frame.returned or frame.jump:
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
        elif isinstance(s, ast.Jump):
            self.jump(s, frame)
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
            wider = widened(known, d.type)
            if wider is None:
                raise CompileError(name.loc, f"'{name.id}' holds {known}; cannot assign {d.type}")
            if wider != known:
                raise SlotWidened(name.id, wider)
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

    def tuple_get(self, value: Dyn[MType], i: int, frame: Frame, loc: Loc) -> Dyn[MType]:
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
                steps = self.budget.unrolled_range(start, stop, it.loc)
                self.unroll(s, [Static(i) for i in steps], frame)
                return
            if not frame.is_host:
                raise CompileError(it.loc, f"loop bounds in {where(frame)} must be known at "
                                           "compile time")
            self.host_loop(s, self.host_range(lo, hi, it, frame), frame)
            return
        seq = self.expr(it, frame)
        if isinstance(seq, (LayerList, Seq)):
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
        """Generates the body once per item, up to a `break` decided at compile time."""
        for item in items:
            inner = Frame(frame.em, Scope(frame.scope, {s.var.id: item}), frame.model_scope,
                          depth=frame.depth, loop="unrolled")
            self.block(s.body, inner)
            if inner.returned:
                frame.result, frame.returned = inner.result, True
                return
            if inner.jump == "break":
                return

    def host_range(self, lo: Value, hi: Value, it: ast.Range, frame: Frame) -> Dyn[MType]:
        """`lo..hi` as a host list of ints."""
        a = frame.em.value(lo, it.lo.loc)
        b = frame.em.value(hi, it.hi.loc)
        for v, node in ((a, it.lo), (b, it.hi)):
            if v.type != INT:
                raise CompileError(node.loc, f"range bounds must be ints, got {v.type}")
        t = ListT(INT)
        return frame.em.result(
            host.RangeOp.create(operands=[a.ssa, b.ssa], result_types=[ir_type(t)]), t, it.loc)

    def host_loop(self, s: ast.For, items: Dyn[MType], frame: Frame) -> None:
        """A host `model.for` over a list."""
        assert isinstance(items.type, ListT)
        elem = items.type.element or INT
        body = Block(arg_types=[ir_type(elem)])
        body.args[0].name_hint = s.var.id
        scope = Scope(frame.scope, {s.var.id: Dyn(body.args[0], elem)})
        inner = Frame(frame.em.nested(body), scope, depth=frame.depth, loop="host")
        self.block(s.body, inner)
        if not inner.jump:
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
        # A jump out of a loop unrolled at compile time cannot hang on a run-time condition.
        loop = "unrolled_runtime_if" if frame.loop == "unrolled" else frame.loop
        for stmts in (s.then, s.orelse):
            block = Block()
            inner = Frame(frame.em.nested(block), Scope(frame.scope), depth=frame.depth,
                          loop=loop)
            self.block(stmts, inner)
            if not inner.jump:
                inner.em.insert(host.YieldOp(), s.loc)
            regions.append(Region(block))
        frame.em.insert(host.IfOp.create(operands=[c.ssa], regions=regions), s.loc)

    def branch(self, stmts: tuple[ast.Stmt, ...], frame: Frame) -> None:
        """A branch chosen at compile time, in its own scope."""
        inner = Frame(frame.em, Scope(frame.scope), frame.model_scope, depth=frame.depth,
                      loop=frame.loop)
        self.block(stmts, inner)
        if inner.returned:
            frame.result, frame.returned = inner.result, True
        frame.jump = inner.jump

    def jump(self, s: ast.Jump, frame: Frame) -> None:
        """`break` or `continue`: `model.break`/`model.continue` in a host `model.for`; in a
        loop unrolled at compile time, the end of this copy of the body (and of the loop)."""
        if frame.loop is None:
            raise CompileError(s.loc, f"'{s.kind}' outside a loop")
        if frame.loop == "unrolled_runtime_if":
            raise CompileError(s.loc, f"'{s.kind}' under a run-time condition cannot leave a "
                                      "loop unrolled at compile time (over a list literal or "
                                      "layers); loop over a range instead")
        if frame.loop == "host":
            op = host.BreakOp() if s.kind == "break" else host.ContinueOp()
            frame.em.insert(op, s.loc)
        frame.jump = s.kind


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
