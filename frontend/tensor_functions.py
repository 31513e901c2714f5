"""IR generation for M's built-in tensor functions (spec section 7), one registered
emitter per function: elementwise, softmax and reductions, matrix product, layout
(transpose, permute, reshape, flatten, concat), selection and conversion, creation, and
losses; and the IR of indexing a tensor with indices known at compile time (`x[:, 0]`).

Each function has a `Signature`; its arguments are bound and checked, and its result's
type and shape computed with symbolic sizes, a mismatch reported at the call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from xdsl.dialects.builtin import (
    ArrayAttr, DenseArrayBase, FloatAttr, IntegerAttr, StringAttr, f64, i64,
)
from xdsl.ir import Attribute, Operation

from mlang.dialects.model import functions as fn
from mlang.dialects.model.base import bool_attr
from mlang.frontend import ast
from mlang.frontend.builtin_args import (
    Args, Locs, derived_shape, optional_int, required, shape_rule, static_bool, static_int,
    static_number, static_shape, tensor_arg,
)
from mlang.frontend.emitter import Emitter, check_dtype_name
from mlang.frontend.operators import (
    FLOAT_FUNCTIONS, KEEP_DTYPE_FUNCTIONS, emit_binary, emit_unary, operand_info, result_shape,
)
from mlang.frontend.signatures import Signature, bind
from mlang.frontend.types import INT, ListT, TensorT, category, ir_type, is_float_dtype, promote
from mlang.frontend import run_sizes
from mlang.frontend.values import DType, Dyn, RunSize, Seq, Static, StaticValue, Value
from mlang.support import shapes
from mlang.support.diagnostics import CompileError, Loc, ShapeMismatch
from mlang.support.floats import rounded

Emit = Callable[[Emitter, Args, Locs, Loc], Value]
FUNCTIONS: dict[str, tuple[Signature[StaticValue], Emit]] = {}


def function(sig: Signature[StaticValue]) -> Callable[[Emit], Emit]:
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
    def emit(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
        return emit_unary(em, name, required(a, "x"), loc)


for _name in (*FLOAT_FUNCTIONS, *KEEP_DTYPE_FUNCTIONS):
    _register_unary(_name)


def _register_elementwise_binary(name: str) -> None:
    """Registers `name(a, b)` as an elementwise binary function."""

    @function(Signature.of(name, "a", "b"))
    def emit(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
        return emit_binary(em, name, required(a, "a"), required(a, "b"), loc)


for _name in ("maximum", "minimum"):
    _register_elementwise_binary(_name)


def _softmax(name: str) -> None:
    """Registers softmax-like functions: shape-preserving along an axis."""

    @function(Signature.of(name, "x", ("axis", -1)))
    def emit(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
        x = tensor_arg(em, a["x"], locs["x"])
        axis = static_int(a["axis"] or Static(-1), locs["axis"], "axis")
        shape = derived_shape(x.type, locs["axis"], name,
                              lambda s: (shapes.normalize_axis(axis, len(s)), s)[1])
        dtype = x.type.dtype if is_float_dtype(x.type.dtype) else "f32"
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
    def emit(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
        x = tensor_arg(em, a["x"], locs["x"])
        axis = optional_int(a["axis"], locs["axis"], "axis")
        keep = static_bool(a.get("keepdim") or Static(False), locs.get("keepdim", loc), "keepdim")
        dtype = reduction_dtype(name, x.type.dtype, loc)
        xs = x.type.shape
        shape = None if xs is None else shape_rule(
            locs["axis"], name, lambda: shapes.reduce_shape(xs, axis, keep))
        t = TensorT(dtype, shape)
        props: dict[str, Attribute] = {}
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
def emit_matmul(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """`a @ b`."""
    return matmul(em, required(a, "a"), required(a, "b"), loc)


def matmul(em: Emitter, lhs: Value, rhs: Value, loc: Loc) -> Dyn[TensorT]:
    """The matrix product of two tensors of one dtype."""
    x, y = em.tensor(lhs, loc), em.tensor(rhs, loc)
    xt, yt = x.type, y.type
    if xt.dtype != yt.dtype:
        raise CompileError(loc, f"matrix product of {xt} and {yt}: dtypes differ")
    shape = None
    xs, ys = xt.shape, yt.shape
    if xs is not None and ys is not None:
        shape = shape_rule(loc, "matrix product", lambda: shapes.matmul_shape(xs, ys))
    t = TensorT(xt.dtype, shape)
    return em.result(fn.MatmulOp.create(operands=[x.ssa, y.ssa], result_types=[ir_type(t)]),
                     t, loc)


def _layout(op: type[Operation], x: Dyn[TensorT], t: TensorT,
            props: Mapping[str, Attribute], em: Emitter, loc: Loc) -> Dyn[TensorT]:
    """Emits a shape-changing op."""
    return em.result(op.create(operands=[x.ssa], result_types=[ir_type(t)], properties=props),
                     t, loc)


@function(Signature.of("transpose", "x", "a", "b"))
def emit_transpose(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Swaps two dimensions."""
    x = tensor_arg(em, a["x"], locs["x"])
    d0, d1 = static_int(a["a"], locs["a"], "a"), static_int(a["b"], locs["b"], "b")
    out = derived_shape(x.type, loc, "transpose",
                        lambda s: shapes.transpose_shape(s, d0, d1))
    props = {"dim0": IntegerAttr(d0, i64), "dim1": IntegerAttr(d1, i64)}
    return _layout(fn.TransposeOp, x, TensorT(x.type.dtype, out), props, em, loc)


@function(Signature.of("permute", "x", "dims"))
def emit_permute(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Reorders dimensions."""
    x = tensor_arg(em, a["x"], locs["x"])
    dims = static_shape(a["dims"], locs["dims"], "dims")
    out = derived_shape(x.type, locs["dims"], "permute",
                        lambda s: shapes.permute_shape(s, dims), rank=len(dims))
    props = {"dims": DenseArrayBase.from_list(i64, list(dims))}
    return _layout(fn.PermuteOp, x, TensorT(x.type.dtype, out), props, em, loc)


@function(Signature.of("reshape", "x", "shape"))
def emit_reshape(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Gives a tensor a new shape."""
    x = tensor_arg(em, a["x"], locs["x"])
    sizes = run_sizes.sizes_in(a["shape"], locs["shape"])
    if sizes is not None:
        return run_sizes.emit_reshape(em, x, sizes, loc)
    target = static_shape(a["shape"], locs["shape"])
    out = derived_shape(x.type, locs["shape"], "reshape",
                        lambda s: shapes.reshape_shape(s, target), rank=1)
    props = {"shape": DenseArrayBase.from_list(i64, list(target))}
    return _layout(fn.ReshapeOp, x, TensorT(x.type.dtype, out), props, em, loc)


@function(Signature.of("flatten", "x", ("start", 1)))
def emit_flatten(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Flattens dimensions `start..`."""
    return flatten(em, tensor_arg(em, a["x"], locs["x"]),
                   static_int(a["start"] or Static(1), locs["start"], "start"), loc)


def flatten(em: Emitter, x: Dyn[TensorT], start: int, loc: Loc) -> Dyn[TensorT]:
    """Flattens dimensions `start..` of `x` into one."""
    out = derived_shape(x.type, loc, "flatten",
                        lambda s: shapes.flatten_shape(s, start))
    props = {"start": IntegerAttr(start, i64)}
    return _layout(fn.FlattenOp, x, TensorT(x.type.dtype, out), props, em, loc)


@function(Signature.of("concat", "tensors", ("axis", 0)))
def emit_concat(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
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
    dtypes = {t.type.dtype for t in tensors}
    if len(dtypes) != 1:
        raise CompileError(loc, "concat: all tensors must have the same dtype")
    shape_list = [t.type.shape for t in tensors if t.type.shape is not None]
    out = None if len(shape_list) != len(tensors) else shape_rule(
        loc, "concat", lambda: shapes.concat_shape(shape_list, axis))
    t = TensorT(dtypes.pop(), out)
    return em.result(fn.ConcatOp.create(
        operands=[v.ssa for v in tensors], result_types=[ir_type(t)],
        properties={"axis": IntegerAttr(axis, i64)}), t, loc)


@function(Signature.of("where", "cond", "a", "b"))
def emit_where(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Selects elementwise between two values."""
    cond = tensor_arg(em, a["cond"], locs["cond"])
    if cond.type.dtype != "bool":
        raise CompileError(locs["cond"], f"where needs a boolean condition, got {cond.type}")
    lhs, rhs = required(a, "a"), required(a, "b")
    da, wa, sa = operand_info(lhs, locs["a"])
    db, wb, sb = operand_info(rhs, locs["b"])
    dtype = promote(da, wa, db, wb)
    x, y = em.tensor(lhs, locs["a"], dtype), em.tensor(rhs, locs["b"], dtype)
    shape = result_shape(cond.type.shape, result_shape(sa, sb, loc, "where"), loc, "where")
    t = TensorT(dtype, shape)
    return em.result(fn.WhereOp.create(operands=[cond.ssa, x.ssa, y.ssa],
                                       result_types=[ir_type(t)]), t, loc)


@function(Signature.of("clamp", "x", "lo", "hi"))
def emit_clamp(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Limits values to [lo, hi]."""
    x = tensor_arg(em, a["x"], locs["x"])
    lo, hi = static_number(a["lo"], locs["lo"], "lo"), static_number(a["hi"], locs["hi"], "hi")
    if lo > hi:
        raise CompileError(loc, f"clamp: lo ({lo:g}) is greater than hi ({hi:g})")
    dtype = x.type.dtype
    for name, bound in (("lo", lo), ("hi", hi)):
        if math.isfinite(bound) and not math.isfinite(rounded(bound, dtype)):
            # PyTorch refuses such a bound too ("cannot be converted ... without overflow").
            raise CompileError(locs[name], f"clamp: {name} ({bound:g}) is outside the range "
                                           f"of {dtype}")
    props = {"lo": FloatAttr(lo, f64), "hi": FloatAttr(hi, f64)}
    return _layout(fn.ClampOp, x, x.type, props, em, loc)


@function(Signature.of("cast", "x", "dtype"))
def emit_cast(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Converts the element type."""
    x = tensor_arg(em, a["x"], locs["x"])
    d = a["dtype"]
    if not isinstance(d, Static) or not isinstance(d.value, DType):
        raise CompileError(locs["dtype"], "cast needs a dtype such as f32 or i64")
    t = TensorT(check_dtype_name(d.value.name, locs["dtype"]), x.type.shape)
    return _layout(fn.CastOp, x, t, {}, em, loc)


@function(Signature.of("one_hot", "ids", "n"))
def emit_one_hot(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """One-hot encoding of integer ids."""
    ids = tensor_arg(em, a["ids"], locs["ids"])
    if category(ids.type.dtype) != 1:
        raise CompileError(locs["ids"], f"one_hot needs integer ids, got {ids.type}")
    n = static_int(a["n"], locs["n"], "n")
    if n < 1:
        raise CompileError(locs["n"], "one_hot: n must be positive")
    shape = derived_shape(ids.type, loc, "one_hot", lambda s: s + (n,))
    return _layout(fn.OneHotOp, ids, TensorT("i64", shape), {"n": IntegerAttr(n, i64)}, em, loc)


@function(Signature.of("shape", "x"))
def emit_shape(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """The sizes of a tensor: a compile-time list when they are all known."""
    x = tensor_arg(em, a["x"], locs["x"])
    shape = x.type.shape
    if shape is not None and all(isinstance(d, int) for d in shape):
        return Static(list(shape))
    if em.in_model:
        return run_sizes.shape_sizes(x, loc)
    t = ListT(INT)
    return em.result(fn.ShapeOp.create(operands=[x.ssa], result_types=[ir_type(t)]), t, loc)


def _creation(name: str, op: type[Operation],
              extra: tuple[str | tuple[str, StaticValue], ...] = ()) -> None:
    """Registers zeros/ones-like functions: a shape and maybe a value."""

    @function(Signature.of(name, "shape", *extra))
    def emit(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
        sizes = run_sizes.sizes_in(a["shape"], locs["shape"])
        if sizes is not None:
            return _dynamic_creation(em, name, a, locs, sizes, loc)
        shape = static_shape(a["shape"], locs["shape"])
        if any(d < 0 for d in shape):
            raise CompileError(locs["shape"], f"{name}: sizes must not be negative")
        props: dict[str, Attribute] = {}
        dtype = "f32"
        if name == "full":
            value = a["value"]
            props["value"] = FloatAttr(static_number(value, locs["value"], "value"), f64)
            dtype = "i64" if isinstance(value, Static) and isinstance(value.value, int) else "f32"
        if name in ("randn", "rand") and a["seed"] is not None:
            seed = optional_int(a["seed"], locs["seed"], "seed")
            if seed is not None:
                props["seed"] = IntegerAttr(seed, i64)
        t = TensorT(dtype, shape)
        return em.result(op.create(result_types=[ir_type(t)], properties=props), t, loc)


def _dynamic_creation(em: Emitter, name: str, a: Args, locs: Locs,
                      sizes: list[run_sizes.Size], loc: Loc) -> Value:
    """zeros/ones/full with run-time sizes."""
    if name != "full":
        return run_sizes.emit_full(em, name, sizes, float(name == "ones"), "f32", loc)
    value = a["value"]
    dtype = "i64" if isinstance(value, Static) and isinstance(value.value, int) else "f32"
    number = static_number(value, locs["value"], "value")
    return run_sizes.emit_full(em, name, sizes, number, dtype, loc)


_creation("zeros", fn.ZerosOp)
_creation("ones", fn.OnesOp)
_creation("full", fn.FullOp, ("value",))
_creation("randn", fn.RandnOp, (("seed", None),))
_creation("rand", fn.RandOp, (("seed", None),))


@function(Signature.of("arange", "n"))
def emit_arange(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """`[0, ..., n-1]`."""
    if isinstance(a["n"], RunSize):
        return run_sizes.emit_arange(em, a["n"], loc)
    n = static_int(a["n"], locs["n"], "n")
    if n < 0:
        raise CompileError(locs["n"], "arange: n must not be negative")
    t = TensorT("i64", (n,))
    return em.result(fn.ArangeOp.create(result_types=[ir_type(t)]), t, loc)


@function(Signature.of("tensor", "data"))
def emit_tensor(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
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


def nested_shape(value: StaticValue, loc: Loc) -> tuple[tuple[int, ...], list[StaticValue]]:
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
    def emit(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
        x, y = tensor_arg(em, a["a"], locs["a"]), tensor_arg(em, a["b"], locs["b"])
        if name == "cross_entropy" and category(y.type.dtype) != 1:
            raise CompileError(locs["b"], f"cross_entropy needs integer labels, got {y.type}")
        check_loss_shapes(name, x.type, y.type, loc)
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


def slice_items(em: Emitter, x: Dyn[TensorT], items: list[int | slice],
                loc: Loc) -> Dyn[TensorT]:
    """Static NumPy basic indexing of a tensor."""
    out = derived_shape(x.type, loc, "index",
                        lambda s: fn.slice_shape(s, items))
    props = {"index": ArrayAttr([StringAttr(fn.format_subscript(i)) for i in items])}
    return _layout(fn.SliceOp, x, TensorT(x.type.dtype, out), props, em, loc)
