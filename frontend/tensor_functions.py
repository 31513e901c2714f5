"""IR generation for M's operators and built-in tensor functions (spec sections 5 and 7).

Each function has a `Signature` and an emitter; types and shapes are computed here with
symbolic sizes and mismatches reported at the call. Calls whose arguments are all known
at compile time are folded (so `1.0 / sqrt(dim)` is a constant).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from xdsl.dialects.builtin import (
    ArrayAttr, DenseArrayBase, FloatAttr, IntegerAttr, StringAttr, f64, i64,
)
from xdsl.ir import Operation

from mlang.dialects.model import functions as fn
from mlang.dialects.model import host
from mlang.dialects.model.base import bool_attr
from mlang.frontend import ast
from mlang.frontend.emitter import Emitter, check_dtype_name
from mlang.frontend.signatures import Signature, bind
from mlang.frontend.types import (
    BOOL, FLOAT, INT, STR, ListT, ScalarT, TensorT, category, ir_type, is_float_dtype, promote,
    scalar_dtype,
)
from mlang.frontend.values import DType, Dyn, Seq, Static, StaticValue, Value, describe
from mlang.support import shapes
from mlang.support.diagnostics import CompileError, Loc, ShapeMismatch
from mlang.support.floats import rounded

BINARY_NAMES = {
    "+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "==": "eq", "!=": "ne",
    "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "and": "and", "or": "or",
}
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
FOLD_BINARY: dict[str, Callable] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "pow": operator.pow, "eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
    "le": operator.le, "gt": operator.gt, "ge": operator.ge, "maximum": max, "minimum": min,
    "and": lambda a, b: a and b, "or": lambda a, b: a or b,
}
FLOAT_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "gelu": lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))),
    "silu": lambda x: x / (1.0 + math.exp(-x)),
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "tanh": math.tanh, "exp": math.exp, "log": math.log, "sqrt": math.sqrt,
    "rsqrt": lambda x: 1.0 / math.sqrt(x), "sin": math.sin, "cos": math.cos,
}
KEEP_DTYPE_FUNCTIONS: dict[str, Callable] = {"relu": lambda x: max(x, 0), "abs": abs}


# ------------------------------------------------------------------------ operands


def operand_info(v: Value, loc: Loc) -> tuple[str, bool, shapes.Shape | None]:
    """dtype, weakness (a Python-like scalar) and shape of an arithmetic operand."""
    if isinstance(v, Static) and isinstance(v.value, (bool, int, float)):
        return scalar_dtype(v.type.kind), True, ()  # type: ignore[union-attr]
    if isinstance(v, Dyn) and isinstance(v.type, TensorT):
        return v.type.dtype, False, v.type.shape
    if isinstance(v, Dyn) and isinstance(v.type, ScalarT) and v.type.kind != "str":
        return scalar_dtype(v.type.kind), True, ()
    raise CompileError(loc, f"expected a tensor or a number, got {describe(v)}")


def result_shape(a: shapes.Shape | None, b: shapes.Shape | None, loc: Loc, what: str):
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
    if isinstance(lhs, Static) and isinstance(rhs, Static):
        return fold_binary(name, lhs.value, rhs.value, loc)
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
        t = host_scalar_type(out_dtype)
        a, b = em.value(lhs, loc), em.value(rhs, loc)
        return em.result(fn.BINARY_OPS[name](a.ssa, b.ssa, ir_type(t)), t, loc)
    operand_dtype = common if category(common) >= category(da) else da
    a, b = em.value(lhs, loc, operand_dtype), em.value(rhs, loc, operand_dtype)
    t = TensorT(out_dtype, shape)
    return em.result(fn.BINARY_OPS[name](a.ssa, b.ssa, ir_type(t)), t, loc)


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


def fold_binary(name: str, a: StaticValue, b: StaticValue, loc: Loc) -> Static:
    """Evaluates an operator on compile-time values."""
    ok = (bool, int, float)
    if not isinstance(a, ok) or not isinstance(b, ok):
        if name in ("eq", "ne"):
            return Static(FOLD_BINARY[name](a, b))
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
    out = dtype
    if name in FLOAT_FUNCTIONS and not is_float_dtype(dtype):
        out = "f32" if isinstance(x.type, TensorT) else "f64"  # type: ignore[union-attr]
    if isinstance(x.type, ScalarT):  # type: ignore[union-attr]
        t = host_scalar_type(out)
    else:
        t = TensorT(out, shape)
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


# ------------------------------------------------------------------ static arguments


def static_int(v: Value | None, loc: Loc, what: str, allow_none: bool = False) -> int | None:
    """A compile-time integer argument (an integral float is accepted, as `dim / heads`)."""
    if v is None or (isinstance(v, Static) and v.value is None):
        if allow_none:
            return None
        raise CompileError(loc, f"{what} must be an integer known at compile time")
    if isinstance(v, Static) and isinstance(v.value, float) and v.value.is_integer():
        return int(v.value)
    if isinstance(v, Static) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return v.value
    raise CompileError(loc, f"{what} must be an integer known at compile time, got {describe(v)}")


def static_number(v: Value | None, loc: Loc, what: str) -> float:
    """A compile-time number argument."""
    if isinstance(v, Static) and isinstance(v.value, (int, float)) and not isinstance(
        v.value, bool
    ):
        return float(v.value)
    raise CompileError(loc, f"{what} must be a number known at compile time")


def static_bool(v: Value | None, loc: Loc, what: str) -> bool:
    """A compile-time boolean argument."""
    if isinstance(v, Static) and isinstance(v.value, bool):
        return v.value
    raise CompileError(loc, f"{what} must be true or false")


def static_shape(v: Value | None, loc: Loc, what: str = "shape") -> tuple[int, ...]:
    """A shape written as a list of compile-time integers."""
    if isinstance(v, Static) and isinstance(v.value, (list, tuple)):
        return tuple(static_int(Static(d), loc, f"each size in {what}") for d in v.value)  # type: ignore[misc]
    raise CompileError(loc, f"{what} must be a list of integers known at compile time")


def tensor_arg(em: Emitter, v: Value | None, loc: Loc) -> Dyn:
    """A tensor argument, numbers becoming 0-d tensors."""
    assert v is not None
    return em.tensor(v, loc)


def ranked(t: TensorT, loc: Loc, what: str) -> shapes.Shape:
    """The shape of a tensor whose rank must be known."""
    if t.shape is None:
        raise CompileError(loc, f"{what} needs a tensor of known rank")
    return t.shape


def derived_shape(x: TensorT, loc: Loc, what: str, rule: Callable[[shapes.Shape], shapes.Shape],
                  rank: int | None = None) -> shapes.Shape | None:
    """The result shape of a function of `x`: `rule` applied to its shape. For a tensor of
    unknown rank (a loaded model's output), whose shape only the run reveals, the rule is
    applied to `rank` unknown sizes when the result's rank is known, else nothing is."""
    if x.shape is not None:
        return shape_rule(loc, what, lambda: rule(x.shape))  # type: ignore[arg-type]
    if rank is None:
        return None
    return shape_rule(loc, what, lambda: rule((None,) * rank))


def shape_rule(loc: Loc, what: str, rule: Callable[[], shapes.Shape]) -> shapes.Shape:
    """Applies a shape rule, reporting a mismatch at `loc` (prefixed by `what` unless the
    rule's message already starts with it, as in `concat: sizes ... differ`)."""
    try:
        return rule()
    except shapes.ShapeError as err:
        message = str(err)
        if not message.startswith(what):
            message = f"{what}: {message}"
        raise ShapeMismatch(loc, message) from None


# ---------------------------------------------------------------------- functions

Emit = Callable[[Emitter, dict[str, Value | None], dict[str, Loc], Loc], Value]
FUNCTIONS: dict[str, tuple[Signature, Emit]] = {}


def function(sig: Signature) -> Callable[[Emit], Emit]:
    """Registers an emitter for the built-in function of signature `sig`."""

    def register(emit: Emit) -> Emit:
        FUNCTIONS[sig.name] = (sig, emit)
        return emit

    return register


def emit_function(em: Emitter, call: ast.Call, name: str, args: list[Value],
                  kwargs: dict[str, Value]) -> Value:
    """Emits a call of built-in tensor function `name`."""
    sig, emit = FUNCTIONS[name]
    bound = bind(sig, call, args, kwargs)
    locs = {k: bound.locs.get(k, call.loc) for k in sig.names}
    return emit(em, bound.args, locs, call.loc)


def _register_unary(name: str) -> None:
    """Registers `name(x)` as an elementwise unary function."""

    @function(Signature.of(name, "x"))
    def emit(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
        return emit_unary(em, name, a["x"], loc)


for _name in (*FLOAT_FUNCTIONS, *KEEP_DTYPE_FUNCTIONS):
    _register_unary(_name)


def _register_elementwise_binary(name: str) -> None:
    """Registers `name(a, b)` as an elementwise binary function."""

    @function(Signature.of(name, "a", "b"))
    def emit(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
        return emit_binary(em, name, a["a"], a["b"], loc)


for _name in ("maximum", "minimum"):
    _register_elementwise_binary(_name)


def _softmax(name: str) -> None:
    """Registers softmax-like functions: shape-preserving along an axis."""

    @function(Signature.of(name, "x", ("axis", -1)))
    def emit(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
        x = tensor_arg(em, a["x"], locs["x"])
        axis = static_int(a["axis"] or Static(-1), locs["axis"], "axis")
        shape = derived_shape(x.type, locs["axis"], name,  # type: ignore[arg-type]
                              lambda s: (shapes.normalize_axis(axis, len(s)), s)[1])
        dtype = x.type.dtype if is_float_dtype(x.type.dtype) else "f32"  # type: ignore[union-attr]
        t = TensorT(dtype, shape)
        op = fn.SoftmaxOp if name == "softmax" else fn.LogSoftmaxOp
        return em.result(
            op.create(operands=[x.ssa], result_types=[ir_type(t)],
                      properties={"axis": IntegerAttr(axis, i64)}), t, loc)


_softmax("softmax")
_softmax("log_softmax")


def _reduction(name: str) -> None:
    """Registers a reduction with optional axis and keepdim."""
    params = ("x", ("axis", None)) if name == "argmax" else (
        "x", ("axis", None), ("keepdim", False))

    @function(Signature.of(name, *params))
    def emit(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
        x = tensor_arg(em, a["x"], locs["x"])
        axis = static_int(a["axis"], locs["axis"], "axis", allow_none=True)
        keep = static_bool(a.get("keepdim") or Static(False), locs.get("keepdim", loc), "keepdim")
        dtype = reduction_dtype(name, x.type.dtype, loc)  # type: ignore[union-attr]
        shape = None if x.type.shape is None else shape_rule(  # type: ignore[union-attr]
            locs["axis"], name, lambda: shapes.reduce_shape(x.type.shape, axis, keep))
        t = TensorT(dtype, shape)
        props: dict = {}
        if axis is not None:
            props["axis"] = IntegerAttr(axis, i64)
        if keep:
            props["keepdim"] = bool_attr(True)
        return em.result(fn.REDUCTION_OPS[name].create(
            operands=[x.ssa], result_types=[ir_type(t)], properties=props), t, loc)


def reduction_dtype(name: str, dtype: str, loc: Loc) -> str:
    """The result dtype of a reduction, as PyTorch gives it."""
    if name == "argmax":
        return "i64"
    if name == "sum" and not is_float_dtype(dtype):
        return "i64"
    if name == "mean" and not is_float_dtype(dtype):
        raise CompileError(loc, f"mean needs a floating-point tensor, got {dtype}; cast it first")
    return dtype


for _name in ("sum", "mean", "max", "min", "argmax"):
    _reduction(_name)


@function(Signature.of("matmul", "a", "b"))
def emit_matmul(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """`a @ b`."""
    return matmul(em, a["a"], a["b"], loc)


def matmul(em: Emitter, lhs: Value, rhs: Value, loc: Loc) -> Dyn:
    """The matrix product of two tensors of one dtype."""
    x, y = em.tensor(lhs, loc), em.tensor(rhs, loc)
    xt, yt = x.type, y.type
    assert isinstance(xt, TensorT) and isinstance(yt, TensorT)
    if xt.dtype != yt.dtype:
        raise CompileError(loc, f"matrix product of {xt} and {yt}: dtypes differ")
    shape = None
    if xt.shape is not None and yt.shape is not None:
        shape = shape_rule(loc, "matrix product", lambda: shapes.matmul_shape(xt.shape, yt.shape))
    t = TensorT(xt.dtype, shape)
    return em.result(fn.MatmulOp.create(operands=[x.ssa, y.ssa], result_types=[ir_type(t)]),
                     t, loc)


def _layout(op: type[Operation], x: Dyn, t: TensorT, props: dict, em: Emitter, loc: Loc) -> Dyn:
    """Emits a shape-changing op."""
    return em.result(op.create(operands=[x.ssa], result_types=[ir_type(t)], properties=props),
                     t, loc)


@function(Signature.of("transpose", "x", "a", "b"))
def emit_transpose(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """Swaps two dimensions."""
    x = tensor_arg(em, a["x"], locs["x"])
    d0, d1 = static_int(a["a"], locs["a"], "a"), static_int(a["b"], locs["b"], "b")
    out = derived_shape(x.type, loc, "transpose",  # type: ignore[arg-type]
                        lambda s: shapes.transpose_shape(s, d0, d1))
    props = {"dim0": IntegerAttr(d0, i64), "dim1": IntegerAttr(d1, i64)}
    return _layout(fn.TransposeOp, x, TensorT(x.type.dtype, out), props, em, loc)  # type: ignore[union-attr]


@function(Signature.of("permute", "x", "dims"))
def emit_permute(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """Reorders dimensions."""
    x = tensor_arg(em, a["x"], locs["x"])
    dims = static_shape(a["dims"], locs["dims"], "dims")
    out = derived_shape(x.type, locs["dims"], "permute",  # type: ignore[arg-type]
                        lambda s: shapes.permute_shape(s, dims), rank=len(dims))
    props = {"dims": DenseArrayBase.from_list(i64, list(dims))}
    return _layout(fn.PermuteOp, x, TensorT(x.type.dtype, out), props, em, loc)  # type: ignore[union-attr]


@function(Signature.of("reshape", "x", "shape"))
def emit_reshape(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """Gives a tensor a new shape."""
    x = tensor_arg(em, a["x"], locs["x"])
    target = static_shape(a["shape"], locs["shape"])
    out = derived_shape(x.type, locs["shape"], "reshape",  # type: ignore[arg-type]
                        lambda s: shapes.reshape_shape(s, target), rank=1)
    props = {"shape": DenseArrayBase.from_list(i64, list(target))}
    return _layout(fn.ReshapeOp, x, TensorT(x.type.dtype, out), props, em, loc)  # type: ignore[union-attr]


@function(Signature.of("flatten", "x", ("start", 1)))
def emit_flatten(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """Flattens dimensions `start..`."""
    return flatten(em, tensor_arg(em, a["x"], locs["x"]),
                   static_int(a["start"] or Static(1), locs["start"], "start"), loc)


def flatten(em: Emitter, x: Dyn, start: int, loc: Loc) -> Dyn:
    """Flattens dimensions `start..` of `x` into one."""
    out = derived_shape(x.type, loc, "flatten",  # type: ignore[arg-type]
                        lambda s: shapes.flatten_shape(s, start))
    props = {"start": IntegerAttr(start, i64)}
    return _layout(fn.FlattenOp, x, TensorT(x.type.dtype, out), props, em, loc)  # type: ignore[union-attr]


@function(Signature.of("concat", "tensors", ("axis", 0)))
def emit_concat(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """Joins a list of tensors along an axis."""
    items = a["tensors"]
    if isinstance(items, Seq) and not items.is_tuple:
        values: list[Value] = list(items.items)
    elif isinstance(items, Static) and isinstance(items.value, list):
        values = [Static(v) for v in items.value]
    else:
        raise CompileError(locs["tensors"], "concat takes a list of tensors written [a, b, ...]")
    if not values:
        raise CompileError(locs["tensors"], "concat needs at least one tensor")
    tensors = [em.tensor(v, locs["tensors"]) for v in values]
    axis = static_int(a["axis"] or Static(0), locs["axis"], "axis")
    dtypes = {t.type.dtype for t in tensors}  # type: ignore[union-attr]
    if len(dtypes) != 1:
        raise CompileError(loc, "concat: all tensors must have the same dtype")
    shape_list = [t.type.shape for t in tensors]  # type: ignore[union-attr]
    out = None if None in shape_list else shape_rule(
        loc, "concat", lambda: shapes.concat_shape(shape_list, axis))  # type: ignore[arg-type]
    t = TensorT(dtypes.pop(), out)
    return em.result(fn.ConcatOp.create(
        operands=[v.ssa for v in tensors], result_types=[ir_type(t)],
        properties={"axis": IntegerAttr(axis, i64)}), t, loc)


@function(Signature.of("where", "cond", "a", "b"))
def emit_where(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """Selects elementwise between two values."""
    cond = tensor_arg(em, a["cond"], locs["cond"])
    if cond.type.dtype != "bool":  # type: ignore[union-attr]
        raise CompileError(locs["cond"], f"where needs a boolean condition, got {cond.type}")
    da, wa, sa = operand_info(a["a"], locs["a"])
    db, wb, sb = operand_info(a["b"], locs["b"])
    dtype = promote(da, wa, db, wb)
    x, y = em.tensor(a["a"], locs["a"], dtype), em.tensor(a["b"], locs["b"], dtype)
    shape = result_shape(cond.type.shape, result_shape(sa, sb, loc, "where"), loc, "where")  # type: ignore[union-attr]
    t = TensorT(dtype, shape)
    return em.result(fn.WhereOp.create(operands=[cond.ssa, x.ssa, y.ssa],
                                       result_types=[ir_type(t)]), t, loc)


@function(Signature.of("clamp", "x", "lo", "hi"))
def emit_clamp(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """Limits values to [lo, hi]."""
    x = tensor_arg(em, a["x"], locs["x"])
    lo, hi = static_number(a["lo"], locs["lo"], "lo"), static_number(a["hi"], locs["hi"], "hi")
    if lo > hi:
        raise CompileError(loc, f"clamp: lo ({lo:g}) is greater than hi ({hi:g})")
    dtype = x.type.dtype  # type: ignore[union-attr]
    for name, bound in (("lo", lo), ("hi", hi)):
        if math.isfinite(bound) and not math.isfinite(rounded(bound, dtype)):
            # PyTorch refuses such a bound too ("cannot be converted ... without overflow").
            raise CompileError(locs[name], f"clamp: {name} ({bound:g}) is outside the range "
                                           f"of {dtype}")
    props = {"lo": FloatAttr(lo, f64), "hi": FloatAttr(hi, f64)}
    return _layout(fn.ClampOp, x, x.type, props, em, loc)  # type: ignore[arg-type]


@function(Signature.of("cast", "x", "dtype"))
def emit_cast(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """Converts the element type."""
    x = tensor_arg(em, a["x"], locs["x"])
    d = a["dtype"]
    if not isinstance(d, Static) or not isinstance(d.value, DType):
        raise CompileError(locs["dtype"], "cast needs a dtype such as f32 or i64")
    t = TensorT(check_dtype_name(d.value.name, locs["dtype"]), x.type.shape)  # type: ignore[union-attr]
    return _layout(fn.CastOp, x, t, {}, em, loc)


@function(Signature.of("one_hot", "ids", "n"))
def emit_one_hot(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """One-hot encoding of integer ids."""
    ids = tensor_arg(em, a["ids"], locs["ids"])
    if category(ids.type.dtype) != 1:  # type: ignore[union-attr]
        raise CompileError(locs["ids"], f"one_hot needs integer ids, got {ids.type}")
    n = static_int(a["n"], locs["n"], "n")
    if n < 1:
        raise CompileError(locs["n"], "one_hot: n must be positive")
    shape = derived_shape(ids.type, loc, "one_hot", lambda s: s + (n,))  # type: ignore[arg-type]
    return _layout(fn.OneHotOp, ids, TensorT("i64", shape), {"n": IntegerAttr(n, i64)}, em, loc)


@function(Signature.of("shape", "x"))
def emit_shape(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """The sizes of a tensor: a compile-time list when they are all known."""
    x = tensor_arg(em, a["x"], locs["x"])
    shape = x.type.shape  # type: ignore[union-attr]
    if shape is not None and all(isinstance(d, int) for d in shape):
        return Static(list(shape))
    if em.in_model:
        raise CompileError(loc, f"shape({x.type}) is not known at compile time; "
                                "use -1 in reshape for an unknown size")
    t = ListT(INT)
    return em.result(fn.ShapeOp.create(operands=[x.ssa], result_types=[ir_type(t)]), t, loc)


def _creation(name: str, op: type[Operation], extra: tuple = ()) -> None:
    """Registers zeros/ones-like functions: a shape and maybe a value."""

    @function(Signature.of(name, "shape", *extra))
    def emit(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
        shape = static_shape(a["shape"], locs["shape"])
        if any(d < 0 for d in shape):
            raise CompileError(locs["shape"], f"{name}: sizes must not be negative")
        props: dict = {}
        dtype = "f32"
        if name == "full":
            value = a["value"]
            props["value"] = FloatAttr(static_number(value, locs["value"], "value"), f64)
            dtype = "i64" if isinstance(value.value, int) else "f32"  # type: ignore[union-attr]
        if name in ("randn", "rand") and a["seed"] is not None:
            seed = static_int(a["seed"], locs["seed"], "seed", allow_none=True)
            if seed is not None:
                props["seed"] = IntegerAttr(seed, i64)
        t = TensorT(dtype, shape)
        return em.result(op.create(result_types=[ir_type(t)], properties=props), t, loc)


_creation("zeros", fn.ZerosOp)
_creation("ones", fn.OnesOp)
_creation("full", fn.FullOp, ("value",))
_creation("randn", fn.RandnOp, (("seed", None),))
_creation("rand", fn.RandOp, (("seed", None),))


@function(Signature.of("arange", "n"))
def emit_arange(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """`[0, ..., n-1]`."""
    n = static_int(a["n"], locs["n"], "n")
    if n < 0:
        raise CompileError(locs["n"], "arange: n must not be negative")
    t = TensorT("i64", (n,))
    return em.result(fn.ArangeOp.create(result_types=[ir_type(t)]), t, loc)


@function(Signature.of("tensor", "data"))
def emit_tensor(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
    """A tensor from a nested list of numbers."""
    data = a["data"]
    if not isinstance(data, Static):
        raise CompileError(locs["data"], "tensor needs a list of numbers known at compile time")
    shape, flat = nested_shape(data.value, locs["data"])
    if all(isinstance(v, bool) for v in flat) and flat:
        dtype = "bool"
    elif any(isinstance(v, float) for v in flat):
        dtype = "f32"
    else:
        dtype = "i64"
    return em.tensor_constant(data.value, shape, dtype, loc)


def nested_shape(value: StaticValue, loc: Loc) -> tuple[tuple[int, ...], list]:
    """The shape and elements of a rectangular nested list of numbers."""
    if isinstance(value, (bool, int, float)):
        return (), [value]
    if not isinstance(value, list):
        raise CompileError(loc, "tensor needs numbers or lists of numbers")
    parts = [nested_shape(v, loc) for v in value]
    inner = {p[0] for p in parts}
    if len(inner) > 1:
        raise CompileError(loc, "tensor: rows have different lengths")
    sub = inner.pop() if inner else ()
    return (len(value),) + sub, [x for p in parts for x in p[1]]


def _loss(name: str, op: type[Operation]) -> None:
    """Registers a loss function of two tensors."""

    @function(Signature.of(name, "a", "b"))
    def emit(em: Emitter, a: dict, locs: dict, loc: Loc) -> Value:
        x, y = tensor_arg(em, a["a"], locs["a"]), tensor_arg(em, a["b"], locs["b"])
        if name == "cross_entropy" and category(y.type.dtype) != 1:  # type: ignore[union-attr]
            raise CompileError(locs["b"], f"cross_entropy needs integer labels, got {y.type}")
        check_loss_shapes(name, x.type, y.type, loc)  # type: ignore[arg-type]
        t = TensorT("f32", ())
        result = op.create(operands=[x.ssa, y.ssa], result_types=[ir_type(t)])
        return em.result(result, t, loc)


def check_loss_shapes(name: str, x: TensorT, y: TensorT, loc: Loc) -> None:
    """Labels are the logits' shape without the class dimension; mse operands broadcast."""
    if x.shape is None or y.shape is None:
        return
    if name == "mse":
        result_shape(x.shape, y.shape, loc, "mse")
        return
    if len(x.shape) != len(y.shape) + 1 or any(
        shapes.dims_conflict(a, b) for a, b in zip(x.shape, y.shape)
    ):
        raise ShapeMismatch(loc, f"cross_entropy: labels {y} do not match logits {x}: labels "
                                "must have the logits' shape without its last (class) dimension")


_loss("cross_entropy", fn.CrossEntropyOp)
_loss("mse", fn.MseOp)


def slice_items(em: Emitter, x: Dyn, items: list[int | slice], loc: Loc) -> Dyn:
    """Static NumPy basic indexing of a tensor."""
    out = derived_shape(x.type, loc, "index",  # type: ignore[arg-type]
                        lambda s: fn.slice_shape(s, items))
    props = {"index": ArrayAttr([StringAttr(fn.format_subscript(i)) for i in items])}
    return _layout(fn.SliceOp, x, TensorT(x.type.dtype, out), props, em, loc)  # type: ignore[union-attr]
