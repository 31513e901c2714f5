"""IR generation for M's operators and elementwise functions (spec sections 5 and 7):
`+ - * / // ** == != < <= > >= and or` (`//` on integers and run-time sizes only), `-x`,
`not x`, and the functions of one or two operands that apply elementwise (`exp`,
`maximum`, ...).

Dtypes promote and shapes broadcast as in PyTorch, with symbolic sizes; a mismatch is
reported at the operator. An operator or elementwise function whose operands are all
compile-time numbers is folded (so `1.0 / sqrt(dim)` is a constant).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from mlang.dialects.model import functions as fn
from mlang.dialects.model import host
from mlang.frontend import run_sizes
from mlang.frontend.emitter import Emitter
from mlang.frontend.types import (
    BOOL, FLOAT, INT, STR, MType, ScalarT, TensorT, category, ir_type, is_float_dtype, promote,
    scalar_dtype,
)
from mlang.frontend.values import Dyn, RunSize, Seq, Static, StaticValue, Value, describe
from mlang.support import shapes
from mlang.support.diagnostics import CompileError, Loc, ShapeMismatch

BINARY_NAMES = {
    "+": "add", "-": "sub", "*": "mul", "/": "div", "//": "floordiv", "**": "pow", "==": "eq",
    "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "and": "and", "or": "or",
}
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
FOLD_BINARY: dict[str, Callable[[float, float], StaticValue]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "floordiv": operator.floordiv,
    "pow": operator.pow, "eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
    "le": operator.le, "gt": operator.gt, "ge": operator.ge, "maximum": max, "minimum": min,
    "and": lambda a, b: a and b, "or": lambda a, b: a or b,
}
FLOAT_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "gelu": lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))),
    "silu": lambda x: x / (1.0 + math.exp(-x)),
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "tanh": math.tanh, "exp": math.exp, "log": math.log, "sqrt": math.sqrt,
    "rsqrt": lambda x: 1.0 / math.sqrt(x), "sin": math.sin, "cos": math.cos, "erf": math.erf,
}
KEEP_DTYPE_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "relu": lambda x: max(x, 0), "abs": abs,
}


# ------------------------------------------------------------------------ operands


def operand_info(v: Value, loc: Loc) -> tuple[str, bool, shapes.Shape | None]:
    """dtype, weakness (a Python-like scalar) and shape of an arithmetic operand."""
    t = v.type if isinstance(v, (Static, Dyn)) else None
    if isinstance(t, TensorT):
        return t.dtype, False, t.shape
    if isinstance(t, ScalarT) and t.kind != "str":  # a number, known at compile time or not
        return scalar_dtype(t.kind), True, ()
    raise CompileError(loc, f"expected a tensor or a number, got {describe(v)}")


def result_shape(a: shapes.Shape | None, b: shapes.Shape | None, loc: Loc,
                 what: str) -> shapes.Shape | None:
    """The broadcast shape of two operands (None when a rank is unknown)."""
    if a is None or b is None:
        return None
    try:
        return shapes.broadcast_shapes(a, b)
    except shapes.ShapeError as err:
        raise ShapeMismatch(loc, f"{what}: {err}") from None


def is_scalar(v: Value) -> bool:
    """True for compile-time numbers and host scalars."""
    return (isinstance(v, Static) and isinstance(v.value, (bool, int, float))) or (
        isinstance(v, Dyn) and isinstance(v.type, ScalarT)
    )


def host_scalar_type(dtype: str) -> ScalarT:
    """The host scalar type of a scalar dtype."""
    return BOOL if dtype == "bool" else INT if dtype.startswith("i") else FLOAT


# ------------------------------------------------------------------------ operators


def emit_binary(em: Emitter, name: str, lhs: Value, rhs: Value, loc: Loc) -> Value:
    """An elementwise binary operator or function (`add`, `lt`, `maximum`, ...)."""
    if name in ("eq", "ne") and (is_string(lhs) or is_string(rhs)):
        return compare_strings(em, name, lhs, rhs, loc)
    if name == "add" and (is_string(lhs) or is_string(rhs)):
        return join_strings(em, lhs, rhs, loc)
    if isinstance(lhs, RunSize) or isinstance(rhs, RunSize):
        return run_sizes.size_arithmetic(name, lhs, rhs, loc)
    if name == "add" and (isinstance(lhs, Seq) or isinstance(rhs, Seq)) and is_list(lhs) \
            and is_list(rhs):
        return Seq(list_items(lhs) + list_items(rhs), False)
    if isinstance(lhs, Static) and isinstance(rhs, Static):
        return fold_binary(name, lhs.value, rhs.value, loc)
    if name == "floordiv":
        raise CompileError(loc, "'//' applies to integers known at compile time and to sizes "
                                f"known only at run time, got {describe(lhs)} and {describe(rhs)}")
    da, wa, sa = operand_info(lhs, loc)
    db, wb, sb = operand_info(rhs, loc)
    if name in ("and", "or") and (da != "bool" or db != "bool"):
        raise CompileError(loc, f"'{name}' needs booleans, got {describe(lhs)} and {describe(rhs)}")
    common = promote(da, wa, db, wb)
    out_dtype = "bool" if name in COMPARISONS else common
    if name == "div" and category(common) < 2:
        out_dtype = common = "f32" if not (wa and wb) else "f64"
    shape = result_shape(sa, sb, loc, f"operator '{name}'")
    if is_scalar(lhs) and is_scalar(rhs):
        t: MType = host_scalar_type(out_dtype)
        a, b = em.value(lhs, loc), em.value(rhs, loc)
        return em.result(fn.BINARY_OPS[name](a.ssa, b.ssa, ir_type(t)), t, loc)
    operand_dtype = common if category(common) >= category(da) else da
    a, b = em.value(lhs, loc, operand_dtype), em.value(rhs, loc, operand_dtype)
    t = TensorT(out_dtype, shape)
    return em.result(fn.BINARY_OPS[name](a.ssa, b.ssa, ir_type(t)), t, loc)


def is_list(v: Value) -> bool:
    """True for a list (not a tuple) of values, known at compile time or not."""
    return (isinstance(v, Seq) and not v.is_tuple) or (
        isinstance(v, Static) and isinstance(v.value, list))


def list_items(v: Value) -> tuple[Value, ...]:
    """The elements of a list that `is_list` accepts."""
    if isinstance(v, Seq):
        return v.items
    assert isinstance(v, Static) and isinstance(v.value, list)
    return tuple(Static(x) for x in v.value)


def is_string(v: Value) -> bool:
    """True for a string, known at compile time or only when the host program runs."""
    return (isinstance(v, Static) and isinstance(v.value, str)) or (
        isinstance(v, Dyn) and v.type == STR)


def compare_strings(em: Emitter, name: str, lhs: Value, rhs: Value, loc: Loc) -> Value:
    """`a == b` or `a != b` of strings: folded when both are known at compile time."""
    if not (is_string(lhs) and is_string(rhs)):
        raise CompileError(loc, f"'{'==' if name == 'eq' else '!='}' compares a string with "
                                f"a string only, got {describe(lhs)} and {describe(rhs)}")
    if isinstance(lhs, Static) and isinstance(rhs, Static):
        return fold_binary(name, lhs.value, rhs.value, loc)
    a, b = em.value(lhs, loc), em.value(rhs, loc)
    equal = em.result(host.StrEqOp(a.ssa, b.ssa), BOOL, loc)
    if name == "eq":
        return equal
    return em.result(fn.UNARY_OPS["not"](em.value(equal, loc).ssa, ir_type(BOOL)), BOOL, loc)


def join_strings(em: Emitter, lhs: Value, rhs: Value, loc: Loc) -> Value:
    """`a + b` of strings: folded when both are known at compile time."""
    if not (is_string(lhs) and is_string(rhs)):
        other = rhs if is_string(lhs) else lhs
        shown = "..."
        if isinstance(other, Static) and isinstance(other.value, (bool, int, float)):
            shown = str(other.value).lower() if isinstance(other.value, bool) else repr(other.value)
        raise CompileError(loc, f"'+' joins a string with a string only, got {describe(lhs)} "
                                f"and {describe(rhs)}; convert with str({shown})")
    if isinstance(lhs, Static) and isinstance(rhs, Static):
        return fold_binary("add", lhs.value, rhs.value, loc)
    a, b = em.value(lhs, loc), em.value(rhs, loc)
    return em.result(host.StrConcatOp(a.ssa, b.ssa), STR, loc)


def fold_binary(name: str, a: StaticValue, b: StaticValue, loc: Loc) -> Static:
    """Evaluates an operator on compile-time values."""
    ok = (bool, int, float)
    if not isinstance(a, ok) or not isinstance(b, ok):
        if name in ("eq", "ne"):
            return Static(a == b if name == "eq" else a != b)
        if name == "add" and isinstance(a, str) and isinstance(b, str):
            return Static(a + b)
        raise CompileError(loc, f"operator '{name}' does not apply to "
                                f"{describe(Static(a))} and {describe(Static(b))}")
    try:
        return Static(FOLD_BINARY[name](a, b))
    except ZeroDivisionError as err:
        raise CompileError(loc, f"cannot evaluate '{name}' at compile time: {err}") from None
    except OverflowError:
        raise CompileError(loc, f"cannot evaluate '{name}' at compile time: the result is "
                                "too large for a float") from None


def emit_unary(em: Emitter, name: str, x: Value, loc: Loc) -> Value:
    """`-x`, `not x` and the elementwise functions."""
    if isinstance(x, Static) and isinstance(x.value, (bool, int, float)):
        return fold_unary(name, x.value, loc)
    dtype, _, shape = operand_info(x, loc)
    if name == "not" and dtype != "bool":
        raise CompileError(loc, f"'not' needs a boolean, got {describe(x)}")
    host_number = isinstance(x, Dyn) and isinstance(x.type, ScalarT)
    out = dtype
    if name in FLOAT_FUNCTIONS and not is_float_dtype(dtype):
        out = "f64" if host_number else "f32"
    t: MType = host_scalar_type(out) if host_number else TensorT(out, shape)
    xv = em.value(x, loc)
    return em.result(fn.UNARY_OPS[name](xv.ssa, ir_type(t)), t, loc)


def fold_unary(name: str, v: bool | int | float, loc: Loc) -> Static:
    """Evaluates a unary function on a compile-time number."""
    try:
        if name == "neg":
            return Static(-v)
        if name == "not":
            return Static(not v)
        if name in KEEP_DTYPE_FUNCTIONS:
            return Static(KEEP_DTYPE_FUNCTIONS[name](v))
        return Static(FLOAT_FUNCTIONS[name](float(v)))
    except (ValueError, OverflowError, ZeroDivisionError) as err:
        raise CompileError(loc, f"cannot evaluate {name}({v}) at compile time: {err}") from None
