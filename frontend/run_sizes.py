"""Sizes known only at run time (M 0.2): inside a method, `shape(x)[i]` of a symbolic
dimension is a `RunSize`; `+ - * //` with integers known at compile time make others
(`t - 1`, `t // 2`), and `arange`, `reshape`, `zeros`, `ones`, `full`, `expand`, slices and
indices accept them where they take a size.

A run-time size stays a reference to a dimension of a tensor (`tensorops.iota`,
`tensorops.reshape_dynamic`, `tensorops.full_dynamic` read it from that tensor's shape
where they run), so the method is compiled once, for every size. Where every size is
known, the functions emit their static ops as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from xdsl.dialects.builtin import i64

from mlang.dialects import tensorops as T
from mlang.dialects.tensorops.sizes import RunSize as IRSize
from mlang.frontend import ast
from mlang.frontend.builtin_args import ranked, static_int
from mlang.frontend.emitter import Emitter
from mlang.frontend.types import DTYPES, TensorT
from mlang.frontend.values import Dyn, RunSize, Seq, Static, Value, describe
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


def size_arithmetic(name: str, lhs: Value, rhs: Value, loc: Loc) -> RunSize:
    """`t + k`, `k + t`, `t - k`, `k - t`, `t * k`, `k * t` or `t // k` of a run-time size
    `t` and an integer `k` known at compile time: a run-time size again, kept as
    `(d * mul + add) // div` of its dimension `d` (so `(t - 1) // 2 * 2` is refused)."""
    size, k, flipped = (lhs, rhs, False) if isinstance(lhs, RunSize) else (rhs, lhs, True)
    assert isinstance(size, RunSize)
    if name not in _OPERATOR:
        hint = "; divide with '//'" if name == "div" else ""
        raise CompileError(loc, f"only + - * // apply to {describe(size)}{hint}")
    if isinstance(k, RunSize):
        raise CompileError(loc, f"'{_OPERATOR[name]}' of two sizes known only at run time: "
                                "one operand must be an integer known at compile time "
                                "(reshape takes -1 for one size)")
    n = static_int(k, loc, f"the other operand of '{_OPERATOR[name]}'")
    if name == "add":
        return _affine(size, 1, n, loc)
    if name == "sub":
        return _affine(size, -1, n, loc) if flipped else _affine(size, 1, -n, loc)
    if name == "mul":
        return _affine(size, n, 0, loc)
    if flipped or n <= 0:
        raise CompileError(loc, "'//' divides a size known only at run time by a positive "
                                "integer known at compile time")
    return replace(size, div=size.div * n)


_OPERATOR = {"add": "+", "sub": "-", "mul": "*", "floordiv": "//"}


def _affine(size: RunSize, mul: int, add: int, loc: Loc) -> RunSize:
    """`size * mul + add`; after a division only an addition keeps the form."""
    if mul == 1:  # (a // d) + k == (a + k * d) // d
        return replace(size, add=size.add + add * size.div)
    if size.div != 1:
        raise CompileError(loc, f"{describe(size)} was divided: multiply before dividing "
                                "(t * 2 // 4, not t // 4 * 2)")
    return replace(size, mul=size.mul * mul, add=size.add * mul + add)


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


def ir_size(size: RunSize) -> IRSize:
    """A run-time size as the tensorops builders take it."""
    return IRSize(size.source, size.axis, size.mul, size.add, size.div)


def ir_sizes(sizes: Sequence[Size]) -> list[int | IRSize]:
    """`sizes` as the tensorops builders take them."""
    return [ir_size(s) if isinstance(s, RunSize) else s for s in sizes]


def emit_reshape(em: Emitter, x: Dyn[TensorT], sizes: Sequence[Size], loc: Loc) -> Value:
    """`reshape(x, sizes)` with run-time sizes."""
    if sum(1 for s in sizes if isinstance(s, int) and s == -1) > 1:
        raise CompileError(loc, "reshape: at most one size may be -1")
    t = TensorT(x.type.dtype, _inferred(x.type.shape, symbolic(sizes), sizes))
    op = T.ReshapeDynamicOp(x.ssa, ir_sizes(sizes))
    return em.result(op, t, loc)


def _inferred(input: shapes.Shape | None, shape: shapes.Shape,
              sizes: Sequence[Size]) -> shapes.Shape:
    """`shape` with the size of a -1 where the input's and the other sizes' symbols cancel
    (`[N, T, 8]` to `[n, t, 2, -1]` makes the -1 a 4), else left unknown."""
    if -1 not in sizes or input is None:
        return shape
    rest = [d for d, s in zip(shape, sizes) if s != -1]
    if None in input or None in rest:
        return shape
    symbols = sorted(str(d) for d in input if isinstance(d, str))
    if symbols != sorted(str(d) for d in rest if isinstance(d, str)):
        return shape
    total = math.prod(d for d in input if isinstance(d, int))
    known = math.prod(d for d in rest if isinstance(d, int))
    if known == 0 or total % known:
        return shape
    return tuple(total // known if s == -1 else d for d, s in zip(shape, sizes))


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
    """`arange(n)` of a run-time size: the indices along that dimension of its tensor, or
    along a tensor of `n` zeros built for it where `n` is computed (`arange(t + 1)`)."""
    source, axis = n.source, n.axis
    if (n.mul, n.add, n.div) != (1, 0, 1):
        source, axis = em.insert(T.FullDynamicOp([ir_size(n)], 0.0, i64), loc).results[0], 0
    iota = em.insert(T.IotaOp(source, axis, i64), loc).results[0]
    t = TensorT("i64", (n.symbol,))
    return em.result(T.ReshapeOp(iota, [-1]), t, loc)


def emit_expand(em: Emitter, x: Dyn[TensorT], sizes: Sequence[Size], loc: Loc) -> Value:
    """`expand(x, sizes)` with run-time sizes; -1 keeps an input size."""
    shape = ranked(x.type, loc, "expand")
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise CompileError(loc, f"expand: cannot expand rank {len(shape)} to the lower rank "
                                f"{len(sizes)}")
    if any(s == -1 for s in sizes[:lead]):
        raise CompileError(loc, "expand: new leading sizes must be given, not -1")
    out = list(symbolic(sizes[:lead]))
    for d, s in zip(shape, sizes[lead:]):
        if isinstance(s, int) and s < -1:
            raise CompileError(loc, f"expand: invalid size {s}")
        target = d if s == -1 else symbolic([s])[0]
        if shapes.dims_conflict(d, target) and d != 1:
            raise CompileError(loc, f"expand: size {d} is neither 1 nor {target}")
        out.append(target if d in (1, None) else shapes.merge_dim(d, target))
    t = TensorT(x.type.dtype, tuple(out))
    return em.result(T.BroadcastDynamicOp(x.ssa, ir_sizes(sizes)), t, loc)


Bound = int | RunSize | None
Subscript = Value | tuple[Value | None, Value | None, Value | None]
"""An evaluated subscript: a value, or a slice's (lo, hi, step) values."""


def has_run_size(items: Sequence[Subscript]) -> bool:
    """Whether evaluated subscripts hold a run-time size (a slice's parts are a tuple)."""
    parts = [p for i in items for p in (i if isinstance(i, tuple) else (i,))]
    return any(isinstance(p, RunSize) for p in parts)


def emit_slice(em: Emitter, x: Dyn[TensorT], items: Sequence[ast.Expr | ast.Slice],
               values: Sequence[Subscript], loc: Loc) -> Value:
    """`x[...]` with run-time slice bounds or indices (`x[:, :t]`, `x[:, t - 1]`; a
    run-time index counts from the start, never from the end)."""
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
            ranges.append((ir_size(v), ir_size(replace(v, add=v.add + v.div)), 1))
            continue
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
        start = lo or 0
        # [k:t + k] of a dimension t is t long (t >= 0 and k >= 0, as bounds count from 0)
        exact = isinstance(start, int) and start >= 0 and step == 1 and \
            (hi.mul, hi.div, hi.add) == (1, 1, start)
        return hi.name if exact else None
    if lo in (None, 0) and hi is None and step == 1:
        return size
    if isinstance(size, int) and not isinstance(lo, RunSize):
        return len(range(size)[lo:hi:step])
    return None


def _ir_bound(b: Bound, default: int) -> int | IRSize:
    """A slice bound as `SliceDynamicOp` takes it."""
    if b is None:
        return default
    return ir_size(b) if isinstance(b, RunSize) else b
