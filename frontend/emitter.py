"""Where generated ops go: an insertion point, the mode (host program or model method)
and the conversion of compile-time values into SSA values.

In a model method every value is a tensor, so a number becomes a 0-d tensor constant;
in the host program numbers stay host scalars (`i64`, `f64`, `i1`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from xdsl.builder import Builder
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr, FileLineColLoc, FloatAttr, IntAttr, IntegerAttr, StringAttr,
    TensorType, f64, i1, i64,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint

from mlang.dialects.model import host
from mlang.dialects.model.structure import GetParamOp
from mlang.frontend.types import DTYPES, ListT, MType, TensorT, TupleT, ir_type
from mlang.frontend.values import (
    DType, Dyn, Seq, Static, StaticValue, Value, describe, is_tensor,
)
from mlang.support.diagnostics import CompileError, Loc
from mlang.support.floats import rounded

T = TypeVar("T", bound=MType)


@dataclass
class Emitter:
    """Inserts ops at the end of a block, stamping each with its source location."""

    block: Block
    in_model: bool
    params: dict[str, tuple[str, TensorType]] = field(default_factory=dict)
    _param_cache: dict[str, SSAValue] = field(default_factory=dict)

    def insert(self, op: Operation, loc: Loc) -> Operation:
        """Appends `op` located at `loc`."""
        op.location = ir_location(loc)
        Builder(InsertPoint.at_end(self.block)).insert(op)
        return op

    def nested(self, block: Block) -> Emitter:
        """An emitter for a nested region's block, sharing the mode."""
        return Emitter(block, self.in_model, self.params)

    def param(self, name: str, loc: Loc) -> SSAValue:
        """The value of parameter `name` of the enclosing model (one read per method)."""
        if name not in self._param_cache:
            _, t = self.params[name]
            self._param_cache[name] = self.insert(GetParamOp(name, t), loc).results[0]
        return self._param_cache[name]

    def tensor(self, v: Value, loc: Loc, dtype: str | None = None) -> Dyn[TensorT]:
        """`v` as a tensor: a number becomes a 0-d tensor (of `dtype` if given)."""
        if is_tensor(v):
            return v
        if isinstance(v, Dyn):
            raise CompileError(loc, f"expected a tensor, got {v.type}")
        if isinstance(v, Static) and isinstance(v.value, (bool, int, float)):
            return self.tensor_constant(v.value, (), dtype or default_dtype(v.value), loc)
        raise CompileError(loc, f"expected a tensor, got {describe(v)}")

    def tensor_constant(
        self, value: StaticValue, shape: tuple[int, ...], dtype: str, loc: Loc
    ) -> Dyn[TensorT]:
        """A dense tensor constant from a (nested) Python list or a scalar splat."""
        t = TensorT(dtype, shape)
        ir = ir_type(t)
        assert isinstance(ir, TensorType)
        flat = _flatten(value)
        data: list[int] | list[float]
        if dtype == "bool" or dtype.startswith("i"):
            data = [int(x) if dtype == "bool" else _wrapped(int(x), dtype) for x in flat]
        else:
            data = [rounded(float(x), dtype) for x in flat]
        attr = DenseIntOrFPElementsAttr.from_list(ir, data)
        op = self.insert(arith.ConstantOp(attr, ir), loc)
        return Dyn(op.results[0], t)

    def value(self, v: Value, loc: Loc, dtype: str | None = None) -> Dyn[MType]:
        """`v` as an SSA value of the current mode (host scalars stay scalars on the host)."""
        if isinstance(v, Dyn):
            return v
        if self.in_model:
            return self.tensor(v, loc, dtype)
        if isinstance(v, Seq):
            return self.host_sequence([self.value(i, loc) for i in v.items], v.is_tuple, loc)
        if not isinstance(v, Static) or isinstance(v.value, DType):
            raise CompileError(loc, f"{describe(v)} cannot be used as a value here")
        return self.host_constant(v.value, loc)

    def host_constant(self, value: StaticValue, loc: Loc) -> Dyn[MType]:
        """A compile-time value materialised in the host program."""
        t = Static(value).type
        op: Operation
        if isinstance(value, bool):
            op = arith.ConstantOp(IntegerAttr(int(value), i1))
        elif isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise CompileError(loc, f"integer {value} does not fit in 64 bits")
            op = arith.ConstantOp(IntegerAttr(value, i64))
        elif isinstance(value, float):
            op = arith.ConstantOp(FloatAttr(value, f64))
        elif isinstance(value, str):
            op = host.StrOp(value)
        elif isinstance(value, (list, tuple)):
            items = [self.host_constant(e, loc) for e in value]
            return self.host_sequence(items, isinstance(value, tuple), loc)
        else:
            raise CompileError(loc, "'none' cannot be used as a value here")
        return Dyn(self.insert(op, loc).results[0], t)

    def host_sequence(self, items: list[Dyn[MType]], is_tuple: bool, loc: Loc) -> Dyn[MType]:
        """A host tuple, or a host list whose elements all have one type."""
        if is_tuple:
            tt = TupleT(tuple(i.type for i in items))
            tuple_op = host.TupleOp.create(operands=[i.ssa for i in items],
                                           result_types=[ir_type(tt)])
            return self.result(tuple_op, tt, loc)
        types = {i.type for i in items}
        if len(types) > 1:
            raise CompileError(loc, "list elements must all have the same type")
        t = ListT(items[0].type if items else None)
        op = host.ListOp.create(operands=[i.ssa for i in items], result_types=[ir_type(t)])
        return self.result(op, t, loc)

    def result(self, op: Operation, t: T, loc: Loc) -> Dyn[T]:
        """Inserts `op` and wraps its single result with M type `t`."""
        return Dyn(self.insert(op, loc).results[0], t)


def ir_location(loc: Loc) -> FileLineColLoc:
    """The IR location of a source location."""
    return FileLineColLoc(StringAttr(loc.file), IntAttr(loc.line), IntAttr(loc.col))


def default_dtype(value: StaticValue) -> str:
    """The dtype a Python-like number takes as a tensor (torch's defaults)."""
    if isinstance(value, bool):
        return "bool"
    return "i64" if isinstance(value, int) else "f32"


def _wrapped(x: int, dtype: str) -> int:
    """`x` wrapped into an integer dtype, as torch wraps a number it adds to such a tensor
    (`int8_tensor + 300` adds 44)."""
    half = 1 << (int(dtype[1:]) - 1)
    return (x + half) % (2 * half) - half


def _flatten(value: StaticValue) -> list[int | float]:
    """The numbers of a nested list, row-major."""
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flatten(v)]
    assert isinstance(value, (int, float))  # a tensor's elements, numbers (nested_shape)
    return [value]


def check_dtype_name(name: str, loc: Loc) -> str:
    """Validates a dtype name."""
    if name not in DTYPES:
        raise CompileError(loc, f"unknown dtype '{name}'; expected one of {', '.join(DTYPES)}")
    return name
