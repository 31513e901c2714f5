"""Sizes known only at run time (M 0.2): inside a method, `shape(x)[i]` of a symbolic
dimension is a `RunSize`, and `arange`, `reshape`, `zeros`, `ones`, `full` and slices
accept it where they take a size.

A run-time size stays a reference to a dimension of a tensor (`tensorops.iota`,
`tensorops.reshape_dynamic`, `tensorops.full_dynamic` read it from that tensor's shape
where they run), so the method is compiled once, for every size. Where every size is
known, the functions emit their static ops as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import i64

from mlang.dialects import tensorops as T
from mlang.dialects.tensorops.sizes import RunSize as IRSize
from mlang.frontend.builtin_args import static_int
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
    t = TensorT(x.type.dtype, symbolic(sizes))
    op = T.ReshapeDynamicOp(x.ssa, ir_sizes(sizes))
    return em.result(op, t, loc)


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
