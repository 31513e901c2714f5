"""Shape rules shared by the frontend's checker and the dialects' verifiers.

A dimension is an `int` (a known size), a `str` (a symbolic size such as `N`: equal names
mean equal sizes) or `None` (unknown, printed `?` in IR). Each rule returns the result
shape or raises `ShapeError`; callers attach the source location.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Dim = int | str | None
Shape = tuple[Dim, ...]


class ShapeError(Exception):
    """A shape mismatch that is certain from what is known at compile time."""


def fmt_shape(shape: Sequence[Dim]) -> str:
    """Formats a shape as M writes it: `[N, 64, ?]`."""
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def dims_conflict(a: Dim, b: Dim) -> bool:
    """True when two dimensions are certainly different sizes."""
    return isinstance(a, int) and isinstance(b, int) and a != b


def merge_dim(a: Dim, b: Dim) -> Dim:
    """The more precise of two dimensions that must be equal."""
    if isinstance(a, int):
        return a
    if isinstance(b, int):
        return b
    return a if a is not None else b


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    """Maps a possibly negative axis into `0..rank-1`."""
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"{what} {axis} is out of range for a tensor of rank {rank}")
    return axis % rank if rank else 0


def broadcast_dim(a: Dim, b: Dim) -> Dim:
    """Broadcasts two aligned dimensions as NumPy does."""
    if a == 1:
        return b
    if b == 1:
        return a
    if dims_conflict(a, b):
        raise ShapeError(f"sizes {a} and {b} do not broadcast")
    return merge_dim(a, b)


def broadcast_shapes(a: Shape, b: Shape) -> Shape:
    """NumPy broadcasting of two shapes."""
    rank = max(len(a), len(b))
    padded_a = (1,) * (rank - len(a)) + tuple(a)
    padded_b = (1,) * (rank - len(b)) + tuple(b)
    try:
        return tuple(broadcast_dim(x, y) for x, y in zip(padded_a, padded_b))
    except ShapeError:
        raise ShapeError(f"shapes {fmt_shape(a)} and {fmt_shape(b)} do not broadcast") from None


def matmul_shape(a: Shape, b: Shape) -> Shape:
    """The result shape of `torch.matmul(a, b)`, batch dimensions broadcast."""
    if not a or not b:
        raise ShapeError("matrix product needs tensors of rank 1 or more")
    a2 = (1,) + tuple(a) if len(a) == 1 else tuple(a)
    b2 = tuple(b) + (1,) if len(b) == 1 else tuple(b)
    if dims_conflict(a2[-1], b2[-2]):
        raise ShapeError(
            f"matrix product of {fmt_shape(a)} and {fmt_shape(b)}: "
            f"inner sizes {a2[-1]} and {b2[-2]} differ"
        )
    batch = broadcast_shapes(a2[:-2], b2[:-2])
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def reduce_shape(a: Shape, axis: int | None, keepdim: bool) -> Shape:
    """The shape of a reduction over `axis` (all axes when None)."""
    if axis is None:
        return tuple(1 for _ in a) if keepdim else ()
    ax = normalize_axis(axis, len(a))
    if keepdim:
        return a[:ax] + (1,) + a[ax + 1 :]
    return a[:ax] + a[ax + 1 :]


def transpose_shape(a: Shape, d0: int, d1: int) -> Shape:
    """Swaps two dimensions."""
    i, j = normalize_axis(d0, len(a)), normalize_axis(d1, len(a))
    out = list(a)
    out[i], out[j] = out[j], out[i]
    return tuple(out)


def permute_shape(a: Shape, dims: Sequence[int]) -> Shape:
    """Reorders dimensions; `dims` must be a permutation of the axes."""
    norm = [normalize_axis(d, len(a)) for d in dims]
    if sorted(norm) != list(range(len(a))):
        raise ShapeError(f"{list(dims)} is not a permutation of the {len(a)} axes")
    return tuple(a[d] for d in norm)


def known_numel(shape: Sequence[Dim]) -> int | None:
    """The number of elements when every dimension is known."""
    n = 1
    for d in shape:
        if not isinstance(d, int):
            return None
        n *= d
    return n


def reshape_shape(a: Shape, target: Sequence[int]) -> Shape:
    """The result of reshaping to `target`, which may hold one -1."""
    if sum(1 for d in target if d == -1) > 1:
        raise ShapeError("reshape: at most one size may be -1")
    if any(d < -1 for d in target):
        raise ShapeError(f"reshape: invalid size in {list(target)}")
    total = known_numel(a)
    fixed = math.prod(d for d in target if d != -1)
    if -1 not in target:
        if total is not None and fixed != total:
            raise ShapeError(f"cannot reshape {fmt_shape(a)} ({total} elements) to {list(target)}")
        return tuple(target)
    if fixed == 0:  # as PyTorch: any size would do
        raise ShapeError(f"reshape: -1 is ambiguous beside a size of 0 in {list(target)}")
    if total is None:
        return tuple(None if d == -1 else d for d in target)
    if total % fixed:
        raise ShapeError(f"cannot reshape {fmt_shape(a)} ({total} elements) to {list(target)}")
    return tuple(total // fixed if d == -1 else d for d in target)


def flatten_shape(a: Shape, start: int) -> Shape:
    """Flattens dimensions `start..` into one."""
    if not a:
        return (1,)
    s = normalize_axis(start, len(a), "start")
    n = known_numel(a[s:])
    return a[:s] + (n,)


def concat_shape(shapes: Sequence[Shape], axis: int) -> Shape:
    """Concatenation along `axis`; other dimensions must agree."""
    if not shapes:
        raise ShapeError("concat needs at least one tensor")
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise ShapeError("concat: all tensors must have the same rank")
    ax = normalize_axis(axis, rank)
    out: list[Dim] = list(shapes[0])
    for s in shapes[1:]:
        for i, d in enumerate(s):
            if i == ax:
                continue
            if dims_conflict(out[i], d):
                raise ShapeError(f"concat: sizes {out[i]} and {d} differ in dimension {i}")
            out[i] = merge_dim(out[i], d)
    sizes = [s[ax] for s in shapes]
    known = [d for d in sizes if isinstance(d, int)]
    out[ax] = sum(known) if len(known) == len(sizes) else None
    return tuple(out)


def linear_shape(x: Shape, weight: Shape) -> Shape:
    """`x @ weight^T` on the last dimension."""
    if len(weight) != 2:
        raise ShapeError(f"linear weight must be 2-d, got {fmt_shape(weight)}")
    if not x:
        raise ShapeError("linear input must have at least one dimension")
    if dims_conflict(x[-1], weight[1]):
        raise ShapeError(
            f"linear expects inputs with last dimension {weight[1]}, got {fmt_shape(x)}"
        )
    return tuple(x[:-1]) + (weight[0],)


def window_out(size: Dim, kernel: int, stride: int, padding: int) -> Dim:
    """Output size of a convolution or pooling window along one dimension."""
    if not isinstance(size, int):
        return None
    out = (size + 2 * padding - kernel) // stride + 1
    if out <= 0:
        raise ShapeError(f"window of size {kernel} does not fit an input of size {size}")
    return out


@dataclass(frozen=True)
class ConvGeometry:
    """How a convolution slides: stride, padding at the start and at the end of each
    spatial dimension, dilation of the kernel's taps, channel groups."""

    stride: int = 1
    padding: int = 0
    pad_end: int = 0
    dilation: int = 1
    groups: int = 1


def conv_shape(x: Shape, weight: Shape, geometry: ConvGeometry) -> Shape:
    """Convolution of an `[N, C, *spatial]` input with an `[O, C/groups, *kernel]` weight."""
    rank = len(weight)
    if len(x) != rank:
        raise ShapeError(f"conv{rank - 2}d expects a {rank}-d input, got {fmt_shape(x)}")
    g = geometry
    in_ch = weight[1] * g.groups if isinstance(weight[1], int) else None
    if dims_conflict(x[1], in_ch):
        raise ShapeError(f"conv{rank - 2}d expects {in_ch} input channels, got {fmt_shape(x)}")
    spatial = []
    for size, k in zip(x[2:], weight[2:]):
        assert isinstance(k, int)
        span = g.dilation * (k - 1) + 1
        if g.stride == 1 and g.padding + g.pad_end == span - 1:  # "same": a symbol stays
            spatial.append(size)
            continue
        padded = size + g.padding + g.pad_end if isinstance(size, int) else None
        spatial.append(window_out(padded, span, g.stride, 0))
    return (x[0], weight[0], *spatial)


def conv2d_shape(x: Shape, weight: Shape, stride: int, padding: int) -> Shape:
    """NCHW convolution with an OIHW weight."""
    if len(x) != 4 or len(weight) != 4:
        raise ShapeError(f"conv2d expects a 4-d NCHW input, got {fmt_shape(x)}")
    return conv_shape(x, weight, ConvGeometry(stride, padding, padding))


def pool2d_shape(x: Shape, kernel: int, stride: int, padding: int = 0) -> Shape:
    """NCHW pooling."""
    if len(x) != 4:
        raise ShapeError(f"pooling expects a 4-d NCHW input, got {fmt_shape(x)}")
    return (x[0], x[1], window_out(x[2], kernel, stride, padding),
            window_out(x[3], kernel, stride, padding))


def channels_shape(x: Shape, channels: Shape) -> Shape:
    """`x`, after checking that it is `[N, C, ...]` with C the size of `channels`."""
    if len(x) < 2 or dims_conflict(x[1], channels[0]):
        raise ShapeError(f"expects [N, {channels[0]}, ...], got {fmt_shape(x)}")
    return x


def adaptive_pool2d_shape(x: Shape, size: tuple[int, int]) -> Shape:
    """NCHW adaptive pooling to `size`."""
    if len(x) != 4:
        raise ShapeError(f"adaptive pooling expects a 4-d NCHW input, got {fmt_shape(x)}")
    return (x[0], x[1], *size)


def check_last_dim(x: Shape, size: Dim, what: str) -> None:
    """Checks that the last dimension of `x` is `size` (for norms and attention)."""
    if not x:
        raise ShapeError(f"{what} expects at least one dimension")
    if dims_conflict(x[-1], size):
        raise ShapeError(f"{what} expects last dimension {size}, got {fmt_shape(x)}")


def slice_dim(size: Dim, lo: int | None, hi: int | None, step: int) -> Dim:
    """Length of `range(size)[lo:hi:step]` when known."""
    if step <= 0:
        raise ShapeError("slice step must be positive")
    if lo is None and hi is None and step == 1:
        return size  # a whole dimension keeps its size, symbolic or not
    if isinstance(size, int):
        return len(range(size)[slice(lo, hi, step)])
    if lo is not None and hi is not None and (lo >= 0) == (hi >= 0):
        return max(0, (hi - lo + step - 1) // step)
    return None


def index_dim(size: Dim, index: int) -> None:
    """Checks an integer index against a known size (negative indices count from the end)."""
    if isinstance(size, int) and not -size <= index < size:
        raise ShapeError(f"index {index} is out of range for a dimension of size {size}")
