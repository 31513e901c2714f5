"""Shape rules of the indexing and reshaping functions of M 0.2 (`tril`, `cumsum`, `topk`,
`gather`, `unsqueeze`, `squeeze`, `expand`, `repeat_interleave`, `chunk`, `pad`), shared by
the frontend's checker and the dialects' verifiers. Dimensions are those of
`mlang.support.shapes`; each rule returns the result shape or raises `ShapeError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlang.support.shapes import Dim, Shape, ShapeError, dims_conflict, fmt_shape, normalize_axis


def matrix_shape(x: Shape, what: str) -> Shape:
    """`x`, which must have rank 2 or more (a batch of matrices)."""
    if len(x) < 2:
        raise ShapeError(f"{what} needs a tensor of rank 2 or more, got {fmt_shape(x)}")
    return x


def along_axis_shape(x: Shape, axis: int) -> Shape:
    """`x`, after checking that `axis` is one of its dimensions."""
    normalize_axis(axis, len(x))
    return x


def topk_shape(x: Shape, k: int, axis: int) -> Shape:
    """The shape of `topk`'s values and indices: `x` with `k` along `axis`."""
    ax = normalize_axis(axis, len(x))
    if k < 0:
        raise ShapeError(f"k ({k}) must not be negative")
    size = x[ax] if x else 1
    if isinstance(size, int) and k > size:
        raise ShapeError(f"k ({k}) is larger than the size {size} of axis {axis}")
    return tuple(k if i == ax else d for i, d in enumerate(x))


def gather_shape(x: Shape, axis: int, index: Shape) -> Shape:
    """`gather(x, axis, index)` (`torch.gather`): the index's shape, of `x`'s rank, no
    larger than `x` in any dimension but `axis`."""
    if len(index) != len(x):
        raise ShapeError(f"the index {fmt_shape(index)} must have the rank of the "
                         f"input {fmt_shape(x)}")
    ax = normalize_axis(axis, len(x))
    for i, (d, n) in enumerate(zip(x, index)):
        if i != ax and isinstance(d, int) and isinstance(n, int) and n > d:
            raise ShapeError(f"the index {fmt_shape(index)} is larger than the input "
                             f"{fmt_shape(x)} in dimension {i}")
    return index


def unsqueeze_shape(x: Shape, axis: int) -> Shape:
    """`x` with a new dimension of size 1 at `axis` (in `-rank-1..rank`)."""
    if not -len(x) - 1 <= axis <= len(x):
        raise ShapeError(f"axis {axis} is out of range -{len(x) + 1}..{len(x)} for a new "
                         f"dimension of a tensor of rank {len(x)}")
    ax = normalize_axis(axis, len(x) + 1)
    return x[:ax] + (1,) + x[ax:]


def squeeze_shape(x: Shape, axis: int) -> Shape:
    """`x` without dimension `axis`, which must have size 1 (or be unknown)."""
    ax = normalize_axis(axis, len(x))
    if dims_conflict(x[ax], 1):
        raise ShapeError(f"cannot squeeze axis {axis} of size {x[ax]}: it must have size 1")
    return x[:ax] + x[ax + 1:]


def expand_shape(x: Shape, target: Sequence[int]) -> Shape:
    """`expand(x, shape)`: `x` broadcast to `target`, where -1 keeps the aligned size."""
    lead = len(target) - len(x)
    if lead < 0:
        raise ShapeError(f"cannot expand {fmt_shape(x)} to the lower rank {len(target)}")
    if any(d < 0 for d in target[:lead]):
        raise ShapeError("new leading sizes must be given, not -1")
    if any(d < -1 for d in target):
        raise ShapeError(f"invalid size in {list(target)}")
    out: list[Dim] = list(target[:lead])
    for d, t in zip(x, target[lead:]):
        if t == -1:
            out.append(d)
        elif d == 1 or not dims_conflict(d, t):
            out.append(t)
        else:
            raise ShapeError(f"cannot expand {fmt_shape(x)} to {list(target)}: "
                             f"size {d} is neither 1 nor {t}")
    return tuple(out)


def repeat_shape(x: Shape, n: int, axis: int) -> Shape:
    """`repeat_interleave(x, n, axis)`: the size along `axis` times `n`."""
    ax = normalize_axis(axis, len(x))
    if n < 0:
        raise ShapeError(f"n ({n}) must not be negative")
    d = x[ax]
    return x[:ax] + ((d * n if isinstance(d, int) else None),) + x[ax + 1:]


def chunk_sizes(size: Dim, n: int) -> list[int]:
    """The sizes of `chunk`'s parts of a dimension, as `torch.chunk` cuts it: parts of
    `ceil(size / n)`, the last one smaller, so that there may be fewer than `n`."""
    if n < 1:
        raise ShapeError(f"n ({n}) must be positive")
    if not isinstance(size, int):
        raise ShapeError(f"the size along the axis must be known at compile time, got "
                         f"{'?' if size is None else size}")
    step = -(-size // n) if size else 0
    if not step:
        return [0]
    return [min(step, size - lo) for lo in range(0, size, step)]


def pad_widths(x: Shape, widths: Sequence[int]) -> list[tuple[int, int]]:
    """`(before, after)` for each dimension of `x` from `pad`'s flat `widths`, which name
    the last dimension first, as `torch.nn.functional.pad` does."""
    if not widths or len(widths) % 2:
        raise ShapeError(f"widths {list(widths)} must be pairs (before, after), "
                         "last dimension first")
    if len(widths) // 2 > len(x):
        raise ShapeError(f"widths {list(widths)} pad {len(widths) // 2} dimensions of a "
                         f"tensor of rank {len(x)}")
    pairs = [(0, 0)] * len(x)
    for i in range(len(widths) // 2):
        pairs[len(x) - 1 - i] = (widths[2 * i], widths[2 * i + 1])
    return pairs


def pad_shape(x: Shape, pairs: Sequence[tuple[int, int]]) -> Shape:
    """`x` grown by `(before, after)` in each dimension; a size may not become negative."""
    if len(pairs) != len(x):
        raise ShapeError(f"{len(pairs)} pairs of widths for a tensor of rank {len(x)}")
    out: list[Dim] = []
    for d, (lo, hi) in zip(x, pairs):
        if not isinstance(d, int):
            out.append(d if lo == hi == 0 else None)
            continue
        if d + lo + hi < 0:
            raise ShapeError(f"widths ({lo}, {hi}) make a dimension of size {d} negative")
        out.append(d + lo + hi)
    return tuple(out)
