"""IR generation for the indexing, reshaping and masking tensor functions of M 0.2:
`tril triu cumsum topk gather unsqueeze squeeze expand repeat_interleave chunk pad
masked_fill normalize dropout`, registered in the table of `tensor_functions`.

Most map to one model op; `chunk` is slices, `masked_fill` a `where`, `normalize` the
arithmetic of `torch.nn.functional.normalize` and `dropout` the op of the `Dropout` layer
(active while `fit` trains, the identity otherwise).
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, f64, i64
from xdsl.ir import Attribute, Operation

from mlang.dialects.model import functions as fn
from mlang.dialects.model import indexing as ix
from mlang.dialects.model import layers as L
from mlang.dialects.model.base import bool_attr
from mlang.frontend import run_sizes
from mlang.frontend.builtin_args import (
    Args, Locs, derived_shape, ranked, required, shape_rule, static_int, static_number,
    static_shape, tensor_arg,
)
from mlang.frontend.emitter import Emitter
from mlang.frontend.operators import emit_binary, emit_unary, operand_info, result_shape
from mlang.frontend.signatures import Signature
from mlang.frontend.tensor_functions import function, slice_items
from mlang.frontend.types import TensorT, category, ir_type, is_float_dtype
from mlang.frontend.values import Dyn, Seq, Static, Value
from mlang.support import index_shapes as rules
from mlang.support import shapes
from mlang.support.diagnostics import CompileError, Loc, ShapeMismatch

NORMALIZE_EPS = 1e-12
"""The `eps` of `torch.nn.functional.normalize`: the least norm divided by."""


def _unary_op(em: Emitter, op: type[Operation], x: Dyn[TensorT], t: TensorT,
              props: dict[str, Attribute], loc: Loc) -> Dyn[TensorT]:
    """Emits a model op of one tensor operand and result type `t`."""
    return em.result(op.create(operands=[x.ssa], result_types=[ir_type(t)], properties=props),
                     t, loc)


def _axis_arg(a: Args, locs: Locs, default: int | None = None) -> int:
    """The static `axis` argument, or `default` when it is left out."""
    value = a["axis"] if a["axis"] is not None or default is None else Static(default)
    return static_int(value, locs["axis"], "axis")


def _numbers(x: Dyn[TensorT], loc: Loc, what: str) -> None:
    """Refuses a boolean tensor where `what` needs numbers."""
    if x.type.dtype == "bool":
        raise CompileError(loc, f"{what} needs a tensor of numbers, got {x.type}")


def _triangle(name: str, op: type[ix.TriangleBase]) -> None:
    """Registers `tril` or `triu`: one triangle of the last two dimensions."""

    @function(Signature.of(name, "x", ("k", 0)))
    def emit(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
        x = tensor_arg(em, a["x"], locs["x"])
        k = static_int(a["k"] or Static(0), locs["k"], "k")
        shape = derived_shape(x.type, locs["x"], name, lambda s: rules.matrix_shape(s, name))
        props: dict[str, Attribute] = {"k": IntegerAttr(k, i64)}
        return _unary_op(em, op, x, TensorT(x.type.dtype, shape), props, loc)


_triangle("tril", ix.TrilOp)
_triangle("triu", ix.TriuOp)


@function(Signature.of("cumsum", "x", "axis"))
def emit_cumsum(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Running sums along an axis; booleans and integers sum in i64, as in PyTorch."""
    x = tensor_arg(em, a["x"], locs["x"])
    axis = _axis_arg(a, locs)
    shape = derived_shape(x.type, locs["axis"], "cumsum",
                          lambda s: rules.along_axis_shape(s, axis))
    dtype = x.type.dtype if is_float_dtype(x.type.dtype) else "i64"
    props: dict[str, Attribute] = {"axis": IntegerAttr(axis, i64)}
    return _unary_op(em, ix.CumsumOp, x, TensorT(dtype, shape), props, loc)


@function(Signature.of("topk", "x", "k", ("axis", -1)))
def emit_topk(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """The `k` largest elements along an axis and their indices: a tuple `(values, ids)`."""
    x = tensor_arg(em, a["x"], locs["x"])
    _numbers(x, locs["x"], "topk")
    k = static_int(a["k"], locs["k"], "k")
    axis = _axis_arg(a, locs, -1)
    shape = derived_shape(x.type, locs["k"], "topk", lambda s: rules.topk_shape(s, k, axis))
    values, ids = TensorT(x.type.dtype, shape), TensorT("i64", shape)
    op = em.insert(ix.TopkOp.create(
        operands=[x.ssa], result_types=[ir_type(values), ir_type(ids)],
        properties={"k": IntegerAttr(k, i64), "axis": IntegerAttr(axis, i64)}), loc)
    return Seq((Dyn(op.results[0], values), Dyn(op.results[1], ids)), True)


@function(Signature.of("gather", "x", "axis", "index"))
def emit_gather(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """`torch.gather`: the elements of `x` at `index` along `axis`."""
    x = tensor_arg(em, a["x"], locs["x"])
    index = tensor_arg(em, a["index"], locs["index"])
    if category(index.type.dtype) != 1:
        raise CompileError(locs["index"], f"gather needs an integer index, got {index.type}")
    axis = _axis_arg(a, locs)
    xs, ids = ranked(x.type, locs["x"], "gather"), ranked(index.type, locs["index"], "gather")
    shape = shape_rule(locs["index"], "gather", lambda: rules.gather_shape(xs, axis, ids))
    if index.type.dtype != "i64":
        index = _unary_op(em, fn.CastOp, index, TensorT("i64", index.type.shape), {}, loc)
    t = TensorT(x.type.dtype, shape)
    return em.result(ix.GatherOp.create(
        operands=[x.ssa, index.ssa], result_types=[ir_type(t)],
        properties={"axis": IntegerAttr(axis, i64)}), t, loc)


def _reshaping(name: str, op: type[ix.AxisOpBase],
               rule: Callable[[shapes.Shape, int], shapes.Shape]) -> None:
    """Registers `unsqueeze` or `squeeze`, which add or drop a dimension at `axis`."""

    @function(Signature.of(name, "x", "axis"))
    def emit(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
        x = tensor_arg(em, a["x"], locs["x"])
        axis = _axis_arg(a, locs)
        shape = shape_rule(locs["axis"], name,
                           lambda: rule(ranked(x.type, locs["x"], name), axis))
        props: dict[str, Attribute] = {"axis": IntegerAttr(axis, i64)}
        return _unary_op(em, op, x, TensorT(x.type.dtype, shape), props, loc)


_reshaping("unsqueeze", ix.UnsqueezeOp, rules.unsqueeze_shape)
_reshaping("squeeze", ix.SqueezeOp, rules.squeeze_shape)


@function(Signature.of("expand", "x", "shape"))
def emit_expand(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Broadcasts to a shape, -1 keeping a size (`Tensor.expand`)."""
    x = tensor_arg(em, a["x"], locs["x"])
    sizes = run_sizes.sizes_in(a["shape"], locs["shape"])
    if sizes is not None:
        return run_sizes.emit_expand(em, x, sizes, loc)
    target = static_shape(a["shape"], locs["shape"])
    shape = shape_rule(locs["shape"], "expand",
                       lambda: rules.expand_shape(ranked(x.type, locs["x"], "expand"), target))
    props: dict[str, Attribute] = {"shape": DenseArrayBase.from_list(i64, list(target))}
    return _unary_op(em, ix.ExpandOp, x, TensorT(x.type.dtype, shape), props, loc)


@function(Signature.of("repeat_interleave", "x", "n", "axis"))
def emit_repeat_interleave(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Repeats each element `n` times along an axis."""
    x = tensor_arg(em, a["x"], locs["x"])
    n = static_int(a["n"], locs["n"], "n")
    if n < 0:
        raise CompileError(locs["n"], f"repeat_interleave: n ({n}) must not be negative")
    axis = _axis_arg(a, locs)
    shape = derived_shape(x.type, locs["axis"], "repeat_interleave",
                          lambda s: rules.repeat_shape(s, n, axis))
    props: dict[str, Attribute] = {"n": IntegerAttr(n, i64), "axis": IntegerAttr(axis, i64)}
    return _unary_op(em, ix.RepeatInterleaveOp, x, TensorT(x.type.dtype, shape), props, loc)


@function(Signature.of("chunk", "x", "n", ("axis", 0)))
def emit_chunk(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Splits into `n` parts along an axis, as `torch.chunk`: a tuple of slices."""
    x = tensor_arg(em, a["x"], locs["x"])
    n = static_int(a["n"], locs["n"], "n")
    axis = _axis_arg(a, locs, 0)
    xs = ranked(x.type, locs["x"], "chunk")
    try:
        ax = shapes.normalize_axis(axis, len(xs))
    except shapes.ShapeError as err:
        raise ShapeMismatch(locs["axis"], f"chunk: {err}") from None
    try:
        sizes = rules.chunk_sizes(xs[ax], n)
    except shapes.ShapeError as err:
        raise ShapeMismatch(locs["n"], f"chunk: {err}") from None
    parts: list[Value] = []
    start = 0
    for size in sizes:
        items: list[int | slice] = [slice(None) for _ in range(ax)]
        items.append(slice(start, start + size))
        parts.append(slice_items(em, x, items, loc))
        start += size
    return Seq(tuple(parts), True)


@function(Signature.of("pad", "x", "widths", ("value", 0)))
def emit_pad(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Pads with a value; `widths` pairs (before, after), last dimension first (`F.pad`)."""
    x = tensor_arg(em, a["x"], locs["x"])
    widths = static_shape(a["widths"], locs["widths"], "widths")
    value = static_number(a["value"] or Static(0), locs["value"], "value")
    if not is_float_dtype(x.type.dtype) and not value.is_integer():
        raise CompileError(locs["value"], f"pad: value {value:g} is not an integer, as a "
                                          f"tensor of {x.type.dtype} needs")
    xs = ranked(x.type, locs["x"], "pad")
    shape = shape_rule(locs["widths"], "pad",
                       lambda: rules.pad_shape(xs, rules.pad_widths(xs, widths)))
    props: dict[str, Attribute] = {"widths": DenseArrayBase.from_list(i64, list(widths)),
                                   "value": FloatAttr(value, f64)}
    return _unary_op(em, ix.PadOp, x, TensorT(x.type.dtype, shape), props, loc)


@function(Signature.of("masked_fill", "x", "mask", "value"))
def emit_masked_fill(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """`value` where `mask` is true, else `x`; the two broadcast (`torch.masked_fill`)."""
    x = tensor_arg(em, a["x"], locs["x"])
    mask = tensor_arg(em, a["mask"], locs["mask"])
    if mask.type.dtype != "bool":
        raise CompileError(locs["mask"], f"masked_fill needs a boolean mask, got {mask.type}")
    _, _, value_shape = operand_info(required(a, "value"), locs["value"])
    if value_shape not in ((), None):
        raise CompileError(locs["value"], "masked_fill: value must be a number or a 0-d "
                                          "tensor")
    shape = result_shape(mask.type.shape, x.type.shape, locs["mask"], "masked_fill")
    value = em.tensor(required(a, "value"), locs["value"], x.type.dtype)
    if value.type.dtype != x.type.dtype:
        value = _unary_op(em, fn.CastOp, value, TensorT(x.type.dtype, ()), {}, loc)
    t = TensorT(x.type.dtype, shape)
    return em.result(fn.WhereOp.create(operands=[mask.ssa, value.ssa, x.ssa],
                                       result_types=[ir_type(t)]), t, loc)


@function(Signature.of("normalize", "x", ("axis", -1)))
def emit_normalize(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """`x / max(||x||_2, 1e-12)` along an axis, as `torch.nn.functional.normalize`."""
    x = tensor_arg(em, a["x"], locs["x"])
    if not is_float_dtype(x.type.dtype):
        raise CompileError(locs["x"], f"normalize needs a floating-point tensor, got {x.type}")
    axis = _axis_arg(a, locs, -1)
    xs = x.type.shape
    shape = None if xs is None else shape_rule(
        locs["axis"], "normalize", lambda: shapes.reduce_shape(xs, axis, True))
    square = emit_binary(em, "mul", x, x, loc)
    t = TensorT(x.type.dtype, shape)
    total = em.result(fn.SumOp.create(
        operands=[em.tensor(square, loc).ssa], result_types=[ir_type(t)],
        properties={"axis": IntegerAttr(axis, i64), "keepdim": bool_attr(True)}), t, loc)
    norm = emit_unary(em, "sqrt", total, loc)
    return emit_binary(em, "div", x, emit_binary(em, "maximum", norm,
                                                 Static(NORMALIZE_EPS), loc), loc)


@function(Signature.of("dropout", "x", "p"))
def emit_dropout(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Zeroes elements with probability `p` while training (as the `Dropout` layer)."""
    x = tensor_arg(em, a["x"], locs["x"])
    if not is_float_dtype(x.type.dtype):
        raise CompileError(locs["x"], f"dropout needs a floating-point tensor, got {x.type}")
    p = static_number(a["p"], locs["p"], "p")
    if not 0.0 <= p < 1.0:
        raise CompileError(locs["p"], f"dropout probability must be in [0, 1), got {p:g}")
    return em.result(L.DropoutOp(x.ssa, p), x.type, loc)
