"""Sizes known only at run time (M 0.2): inside a method, `shape(x)[i]` of a symbolic
dimension is a `RunSize`, and `arange`, `reshape`, `zeros`, `ones`, `full` and slices
accept it where they take a size.

A run-time size stays a reference to a dimension of a tensor (`tensorops.iota`,
`tensorops.reshape_dynamic`, `tensorops.full_dynamic` read it from that tensor's shape
where they run), so the method is compiled once, for every size. Where every size is
known, the functions emit their static ops as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects.builtin import i64

from mlang.dialects import tensorops as T
from mlang.dialects.tensorops.sizes import RunSize as IRSize
from mlang.frontend import ast
from mlang.frontend.builtin_args import ranked, static_int
from mlang.frontend.emitter import Emitter
from mlang.frontend.types import DTYPES, TensorT
from mlang.frontend.values import Dyn, RunSize, Seq, Static, Value
from mlang.support import shapes
from mlang.support.diagnostics import CompileError, Loc

Size = int | RunSize


def shape_sizes(x: Dyn[TensorT], loc: Loc) -> Seq:
    """`shape(x)` in a method: its known sizes as ints, its symbolic ones as run-time
    sizes (`x` of unknown rank is an error)."""
    if x.type.shape is None:
        raise CompileError(loc, f"shape({x.type}): the rank is not known at compile time")
    items = [Static(d) if isinstance(d, int) else RunSize(x.ssa, i, d)
             for i, d in enumerate(x.type.shape)]
    return Seq(tuple(items), False)


def sizes_in(v: Value | None, loc: Loc) -> list[Size] | None:
    """A list of sizes with at least one run-time size, or None (a list of ints, or no
    list: the static rules report it)."""
    if isinstance(v, RunSize):
        return [v]
    if not isinstance(v, Seq) or not any(isinstance(i, RunSize) for i in v.items):
        return None
    return [i if isinstance(i, RunSize) else static_int(i, loc, "each size") for i in v.items]


def symbolic(sizes: Sequence[Size]) -> shapes.Shape:
    """The M shape of a tensor of `sizes`: a run-time size as its dimension's name."""
    return tuple(s.symbol if isinstance(s, RunSize) else None if s < 0 else s for s in sizes)


def ir_sizes(sizes: Sequence[Size]) -> list[int | IRSize]:
    """`sizes` as the tensorops builders take them."""
    return [(s.source, s.axis) if isinstance(s, RunSize) else s for s in sizes]


def emit_reshape(em: Emitter, x: Dyn[TensorT], sizes: Sequence[Size], loc: Loc) -> Value:
    """`reshape(x, sizes)` with run-time sizes."""
    if sum(1 for s in sizes if isinstance(s, int) and s == -1) > 1:
        raise CompileError(loc, "reshape: at most one size may be -1")
    shape = symbolic(sizes)
    rest = inferred_rest(x.type.shape, sizes)
    if rest is not None:
        shape = tuple(rest if isinstance(s, int) and s == -1 else d
                      for s, d in zip(sizes, shape))
    op = T.ReshapeDynamicOp(x.ssa, ir_sizes(sizes))
    return em.result(op, TensorT(x.type.dtype, shape), loc)


def inferred_rest(shape: shapes.Shape | None, sizes: Sequence[Size]) -> int | None:
    """The size a -1 among `sizes` stands for, where it is known at compile time: the
    run-time sizes are the input's own symbolic dimensions, so -1 is the quotient of its
    known sizes (`reshape(x, [n, t, heads, -1])` of `f32[N, T, dim]` is `dim / heads`)."""
    if shape is None or -1 not in sizes or None in shape:
        return None
    kept = [s.symbol for s in sizes if isinstance(s, RunSize)]
    if None in kept or sorted(map(str, kept)) != sorted(d for d in shape if isinstance(d, str)):
        return None
    known = math.prod(d for d in shape if isinstance(d, int))
    given = math.prod(s for s in sizes if isinstance(s, int) and s != -1)
    return known // given if given > 0 and known % given == 0 else None


def emit_full(em: Emitter, name: str, sizes: Sequence[Size], value: float, dtype: str,
              loc: Loc) -> Value:
    """`zeros`, `ones` or `full` of run-time sizes."""
    if name not in ("zeros", "ones", "full"):
        raise CompileError(loc, f"{name} needs sizes known at compile time")
    if any(isinstance(s, int) and s < 0 for s in sizes):
        raise CompileError(loc, f"{name}: sizes must not be negative")
    t = TensorT(dtype, symbolic(sizes))
    op = T.FullDynamicOp(ir_sizes(sizes), value, DTYPES[dtype])
    return em.result(op, t, loc)


def emit_arange(em: Emitter, n: RunSize, loc: Loc) -> Value:
    """`arange(n)` of a run-time size: the indices along that dimension of its tensor."""
    iota = em.insert(T.IotaOp(n.source, n.axis, i64), loc).results[0]
    t = TensorT("i64", (n.symbol,))
    return em.result(T.ReshapeOp(iota, [-1]), t, loc)


Bound = int | RunSize | None
Subscript = Value | tuple[Value | None, Value | None, Value | None]
"""An evaluated subscript: a value, or a slice's (lo, hi, step) values."""


def has_run_size(items: Sequence[Subscript]) -> bool:
    """Whether evaluated subscripts hold a run-time size (a slice's parts are a tuple)."""
    parts = [p for i in items for p in (i if isinstance(i, tuple) else (i,))]
    return any(isinstance(p, RunSize) for p in parts)


def emit_slice(em: Emitter, x: Dyn[TensorT], items: Sequence[ast.Expr | ast.Slice],
               values: Sequence[Subscript], loc: Loc) -> Value:
    """`x[...]` with run-time slice bounds (`x[:, :t]`); indices stay static."""
    shape = ranked(x.type, loc, "index")
    if len(items) > len(shape):
        raise CompileError(loc, f"too many indices ({len(items)}) for a tensor of rank "
                                f"{len(shape)}")
    ranges: list[tuple[int | IRSize, int | IRSize, int]] = []
    out: list[shapes.Dim] = []
    for item, v, size in zip(items, values, shape):
        if isinstance(item, ast.Slice):
            assert isinstance(v, tuple)  # a slice's parts
            lo, hi, step = (_bound(p, item.loc) for p in v)
            if isinstance(step, RunSize):
                raise CompileError(item.loc, "a slice step must be known at compile time")
            ranges.append((_ir_bound(lo, 0), _ir_bound(hi, T.SLICE_END), step or 1))
            out.append(_slice_size(size, lo, hi, step or 1))
            continue
        assert not isinstance(v, tuple)  # an index is one value
        if isinstance(v, RunSize):
            raise CompileError(item.loc, "an index must be known at compile time; slice "
                                         "with a run-time size instead (x[:, :t])")
        i = static_int(v, item.loc, "an index")
        try:
            shapes.index_dim(size, i)
        except shapes.ShapeError as err:
            raise CompileError(item.loc, f"index: {err}") from None
        ranges.append((i, T.SLICE_END if i == -1 else i + 1, 1))
    ranges += [(0, T.SLICE_END, 1)] * (len(shape) - len(items))
    out += shape[len(items):]
    t = TensorT(x.type.dtype, tuple(out))
    if all(isinstance(item, ast.Slice) for item in items):
        return em.result(T.SliceDynamicOp(x.ssa, ranges), t, loc)
    y = em.insert(T.SliceDynamicOp(x.ssa, ranges), loc).results[0]
    kept = [k for k, item in enumerate(items) if isinstance(item, ast.Slice)]
    kept += list(range(len(items), len(shape)))
    return em.result(T.ReshapeDynamicOp(y, [(y, k) for k in kept]), t, loc)


def _bound(v: Value | None, loc: Loc) -> Bound:
    """A slice part: absent, a run-time size or a static integer."""
    if v is None or isinstance(v, RunSize):
        return v
    return static_int(v, loc, "a slice bound")


def _slice_size(size: shapes.Dim, lo: Bound, hi: Bound, step: int) -> shapes.Dim:
    """The M size of one sliced dimension: the run-time size of `[:t]`, the size of `:`,
    the length of a static slice of a static size, else unknown."""
    if isinstance(hi, RunSize):
        return hi.symbol if lo in (None, 0) and step == 1 else None
    if lo in (None, 0) and hi is None and step == 1:
        return size
    if isinstance(size, int) and not isinstance(lo, RunSize):
        return len(range(size)[lo:hi:step])
    return None


def _ir_bound(b: Bound, default: int) -> int | IRSize:
    """A slice bound as `SliceDynamicOp` takes it."""
    if b is None:
        return default
    return (b.source, b.axis) if isinstance(b, RunSize) else b
