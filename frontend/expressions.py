"""IR generation for expressions: names, literals, operators, attributes and subscripts.

A value known at compile time stays a Python value (`Static`) until an op needs it;
indexing a compile-time sequence picks an item, indexing a tensor with known indices is a
`model.slice`, and the host program may index and slice its lists and tensors at run time.
Calls are the calls part's (frontend/calls.py).
"""

from __future__ import annotations

from xdsl.dialects.builtin import DenseArrayBase, StringAttr, i32
from xdsl.ir import Attribute

from mlang.dialects.model import host
from mlang.frontend import ast, run_sizes
from mlang.frontend.builtin_args import static_int
from mlang.frontend.data_functions import data_member
from mlang.frontend.generator import IRGenBase
from mlang.frontend.models import (
    COMPREHENSION_ONLY_IN_FIELDS, method_names, no_method, static_condition,
)
from mlang.frontend.operators import BINARY_NAMES, emit_binary, emit_unary
from mlang.frontend.scopes import Frame, unknown_name
from mlang.frontend.tensor_functions import matmul, slice_items
from mlang.frontend.tensor_fields import read_field, read_member
from mlang.frontend.types import (
    INT, INT_DTYPES, DatasetT, ListT, ModelT, MType, TensorT, TupleT, from_ir_type, ir_type,
)
from mlang.frontend.values import (
    Dyn, FieldPath, LayerList, MethodRef, Seq, Static, SubModel, Value, describe, is_tensor,
)
from mlang.support.diagnostics import CompileError, Loc, did_you_mean

SubscriptValue = Value | tuple[Value | None, Value | None, Value | None]
"""What a subscript evaluates to: a value, or a slice's (lo, hi, step) values."""


class ExpressionGen(IRGenBase):
    """The expressions part of `IRGen` (frontend/irgen.py), whose other parts it calls
    through `self` (`call`, and `tuple_get` of the statements part)."""

    def expr(self, e: ast.Expr, frame: Frame) -> Value:
        """Evaluates an expression to a compile-time value or emits the ops computing it."""
        if isinstance(e, ast.Name):
            return self.name(e, frame)
        if isinstance(e, (ast.IntLit, ast.FloatLit, ast.StrLit, ast.BoolLit)):
            return Static(e.value)
        if isinstance(e, (ast.ListLit, ast.TupleLit)):
            items = [self.expr(x, frame) for x in e.elts]
            is_tuple = isinstance(e, ast.TupleLit)
            values = [i.value for i in items if isinstance(i, Static)]
            if len(values) == len(items):
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
        if isinstance(e, ast.IfExp):
            chosen = static_condition(self.expr(e.cond, frame), e.cond.loc)
            return self.expr(e.body if chosen else e.orelse, frame)
        if isinstance(e, ast.ListComp):
            raise CompileError(e.loc, COMPREHENSION_ONLY_IN_FIELDS)
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
            raise CompileError(e.loc, unknown_name(e.id, frame.scope.visible()))
        return read_field(frame.em, value, e.loc)

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
            t: MType = TensorT("f32", (None, d.features)) if e.name == "x" else \
                TensorT(d.labels, (None,))
            if e.name == "x" and d.record is not None:
                t = d.record
            created = op.create(operands=[owner.ssa], result_types=[ir_type(t)])
            return frame.em.result(created, t, e.loc)
        if isinstance(owner, Dyn) and \
                (member := data_member(frame.em, owner, e.name, e.loc)) is not None:
            return member
        if isinstance(owner, Dyn) and isinstance(owner.type, ModelT):
            if (param := self.host_parameter(owner, e.name, e.loc, frame)) is not None:
                return param
            if owner.type.definition is not None:
                fields = self.by_symbol[owner.type.definition].fields
                if e.name in fields:
                    return FieldPath(owner, e.name, fields[e.name])
            self.check_method(owner.type, e.name, e.loc)
            return MethodRef(owner, e.name)
        if isinstance(owner, FieldPath) and (param := self.host_parameter(
                owner.owner, f"{owner.path}.{e.name}", e.loc, frame)) is not None:
            return param
        if isinstance(owner, FieldPath) and isinstance(owner.field, SubModel):
            sub = owner.field
            if e.name in sub.fields:
                return FieldPath(owner.owner, f"{owner.path}.{e.name}", sub.fields[e.name])
            if e.name in method_names(sub.decl):
                return MethodRef(owner, e.name)
            raise no_member(sub, e)
        if (param := read_member(frame.em, owner, e.name, e.loc)) is not None:
            return param
        if isinstance(owner, SubModel):
            if e.name in owner.fields:
                return owner.fields[e.name]
            if any(m.name == e.name for m in owner.decl.methods):
                return MethodRef(owner, e.name)
            raise no_member(owner, e)
        if isinstance(owner, MethodRef) and isinstance(owner.owner, Dyn):
            raise CompileError(e.loc, f"'{owner.name}.{e.name}': a model read by load_model "
                                      "is called through its methods, not its fields")
        raise CompileError(e.loc, f"{describe(owner)} has no attribute '{e.name}'")

    def host_parameter(self, model: Dyn[MType], path: str, loc: Loc,
                       frame: Frame) -> Value | None:
        """`net.fc.bias` in the host program: a copy of the parameter at `path` of a model
        instance as it is now; None where `path` names no parameter of its definition."""
        t = model.type
        assert isinstance(t, ModelT)
        params = {} if t.definition is None else self.by_symbol[t.definition].params
        if path not in params:
            return None
        if t.quantized:
            raise CompileError(loc, f"'{path}' of an int8 model cannot be read: its weights "
                                    "are stored quantized; read it before quantize")
        ir = params[path][1]
        op = host.ParameterOp.create(operands=[model.ssa], properties={"path": StringAttr(path)},
                                     result_types=[ir])
        return frame.em.result(op, from_ir_type(ir), loc)

    def check_method(self, t: ModelT, name: str, loc: Loc) -> None:
        """Checks that a model instance has a method."""
        if t.definition is None:
            return
        info = self.by_symbol[t.definition]
        if name not in method_names(info.decl):
            raise CompileError(loc, no_method(info.decl, name))

    def subscript(self, e: ast.Subscript, frame: Frame) -> Value:
        """`v[i]`, `v[i:j]`, `x[:, 0]`."""
        value = self.expr(e.value, frame)
        seq = static_items(value)
        if seq is not None:
            return self.static_index(value, seq, e, frame)
        if isinstance(value, FieldPath) and isinstance(value.field, LayerList):
            return self.field_item(value, value.field, e, frame)
        if not isinstance(value, Dyn):
            raise CompileError(e.loc, f"cannot index {describe(value)}")
        # Each subscript is evaluated once: its ops are emitted once, whatever it becomes.
        evaluated = [self.eval_item(i, frame) for i in e.items]
        items = [static_item(i, v) for i, v in zip(e.items, evaluated)]
        known = [i for i in items if i is not None]
        if is_tensor(value) and len(known) == len(items):
            return slice_items(frame.em, value, known, e.loc)
        if isinstance(value.type, TupleT) and len(items) == 1 and isinstance(items[0], int):
            count = len(value.type.elements)
            if not -count <= items[0] < count:
                raise CompileError(e.items[0].loc,
                                   f"index {items[0]} is out of range for {count} items")
            return self.tuple_get(value, items[0] % count, frame, e.loc)
        if is_tensor(value) and frame.em.in_model and run_sizes.has_run_size(evaluated):
            return run_sizes.emit_slice(frame.em, value, e.items, evaluated, e.loc)
        if frame.em.in_model:
            raise CompileError(e.loc, "indices in a model must be known at compile time")
        return self.host_index(value, e, evaluated, frame)

    def field_item(self, value: FieldPath, layers: LayerList, e: ast.Subscript,
                   frame: Frame) -> FieldPath:
        """`net.blocks[1]` in the host program: one layer of a `repeat` field."""
        index = self.subscript_item(e.items[0], frame) if len(e.items) == 1 else None
        if not isinstance(index, int):
            raise CompileError(e.loc, f"field {value.path} is indexed by one integer known at "
                                      "compile time")
        count = len(layers.items)
        if not -count <= index < count:
            raise CompileError(e.items[0].loc,
                               f"index {index} is out of range for {count} layers")
        return FieldPath(value.owner, f"{value.path}.{index % count}", layers.items[index % count])

    def eval_item(self, item: ast.Expr | ast.Slice, frame: Frame) -> SubscriptValue:
        """The value of one subscript: a value, or a slice's (lo, hi, step) values."""
        if isinstance(item, ast.Slice):
            lo, hi, step = (None if p is None else self.expr(p, frame)
                            for p in (item.lo, item.hi, item.step))
            return lo, hi, step
        return self.expr(item, frame)

    def subscript_item(self, item: ast.Expr | ast.Slice, frame: Frame) -> int | slice | None:
        """A subscript known at compile time, or None."""
        return static_item(item, self.eval_item(item, frame))

    def static_index(self, value: Value, seq: list[Value], e: ast.Subscript,
                     frame: Frame) -> Value:
        """Indexing a compile-time sequence (a layer list, a literal) of items `seq`."""
        if len(e.items) != 1:
            raise CompileError(e.loc, f"{describe(value)} takes one index")
        evaluated = self.eval_item(e.items[0], frame)
        item = static_item(e.items[0], evaluated)
        if item is None and isinstance(value, Static) and not frame.em.in_model:
            # A literal list (of class names, say) indexed when the program runs.
            return self.host_index(frame.em.value(value, e.loc), e, [evaluated], frame)
        if item is None:
            raise CompileError(e.items[0].loc, "this index must be known at compile time")
        if isinstance(item, slice):
            return Seq(tuple(seq[item]), False)
        if not -len(seq) <= item < len(seq):
            raise CompileError(e.items[0].loc, f"index {item} is out of range for {len(seq)} items")
        return seq[item]

    def host_index(self, value: Dyn[MType], e: ast.Subscript, evaluated: list[SubscriptValue],
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
            bounds = [None if b is None or p is None else self.int_value(b, p.loc, frame)
                      for b, p in zip(v[:2], (item.lo, item.hi))]
            if isinstance(value.type, TupleT):
                raise CompileError(e.loc, "tuples cannot be sliced")
            t = value.type
            if isinstance(t, TensorT) and t.shape:
                t = TensorT(t.dtype, (None,) + t.shape[1:])
            rows = host.SliceRowsOp.create(
                operands=[value.ssa] + [b.ssa for b in bounds if b is not None],
                result_types=[ir_type(t)],
                properties=segment_sizes([1] + [int(b is not None) for b in bounds]))
            return em.result(rows, t, e.loc)
        assert not isinstance(v, tuple)  # a slice's parts are a tuple, an index is a value
        elem = element_type(value.type, e.loc)
        index = frame.em.value(v, item.loc)
        if isinstance(value.type, ListT) and is_index_tensor(index.type):
            # `data.classes[argmax(p, 1)]`: the name of each index.
            assert isinstance(index.type, TensorT)  # what is_index_tensor accepts
            # A tensor of unknown rank (a loaded model's argmax) is taken as 1-d, and
            # checked to be so when the program runs.
            elem = elem if index.type.shape == () else ListT(elem)
        else:
            index = self.int_value(index, item.loc, frame)
        op = host.IndexOp.create(operands=[value.ssa, index.ssa], result_types=[ir_type(elem)])
        return em.result(op, elem, e.loc)

    def int_value(self, v: Value, loc: Loc, frame: Frame) -> Dyn[MType]:
        """A host int operand."""
        d = frame.em.value(v, loc)
        if d.type != INT:
            raise CompileError(loc, f"an index must be an int, got {d.type}")
        return d


def no_member(sub: SubModel, e: ast.Attribute) -> CompileError:
    """The error for `sub.name` where a sub-model has no such field or method."""
    return CompileError(e.loc, f"model {sub.decl.name} has no field or method '{e.name}'"
                        + did_you_mean(e.name, [*sub.fields, *method_names(sub.decl)]))


def static_items(value: Value) -> list[Value] | None:
    """The items of a sequence known at compile time (a layer list, a literal), or None."""
    if isinstance(value, (LayerList, Seq)):
        return list(value.items)
    if isinstance(value, Static) and isinstance(value.value, (list, tuple)):
        return [Static(v) for v in value.value]
    return None


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


def is_index_tensor(t: MType) -> bool:
    """Whether `t` is a tensor of integers of rank 0 or 1 (or unknown), which indexes a
    host list."""
    return isinstance(t, TensorT) and t.dtype in INT_DTYPES and \
        (t.shape is None or len(t.shape) <= 1)


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


def segment_sizes(sizes: list[int]) -> dict[str, Attribute]:
    """The operandSegmentSizes property."""
    return {"operandSegmentSizes": DenseArrayBase.from_list(i32, sizes)}
