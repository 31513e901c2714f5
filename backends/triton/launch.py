"""Host-side helpers that generated wrappers call around each launch: shapes of the
iteration space, strides of inputs broadcast into it, and output buffers written through
the inverse of a kernel's output views.

Wrappers stay straight-line code; whatever depends on run-time shapes lives here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod

import torch

View = tuple[str, tuple[int, ...], int]
"""An output view: `("reshape", target, 0)`, `("reshape_tail", tail, start)` or
`("permute", permutation, 0)`; -1 in a target is the inferred size."""


def broadcast_shape(
    shapes: Sequence[Sequence[int]], static: Sequence[int | None]
) -> tuple[int, ...]:
    """The iteration shape: the inputs' shapes broadcast together with the static one
    (whose unknown sizes the inputs decide)."""
    known = [1 if d is None else d for d in static]
    shape = _broadcast(*shapes, known)
    if len(shape) != len(static):
        raise ValueError(f"iteration shape {shape} does not have rank {len(static)}")
    return shape


def _broadcast(*shapes: Sequence[int]) -> tuple[int, ...]:
    """Sizes broadcast together, as torch broadcasts them."""
    # torch leaves `broadcast_shapes` unannotated.
    return tuple(torch.broadcast_shapes(*map(tuple, shapes)))  # type: ignore[no-untyped-call]


def strides(t: torch.Tensor, shape: Sequence[int]) -> tuple[int, ...]:
    """The strides of `t` broadcast to `shape` (0 along broadcast dimensions)."""
    return tuple(t.expand(tuple(shape)).stride()) if shape else ()


def numel(shape: Sequence[int]) -> int:
    """The number of elements of a shape."""
    return prod(shape)


def next_power_of_2(n: int) -> int:
    """The smallest power of two that is at least `n` (and at least 1)."""
    return 1 << max(n - 1, 0).bit_length()


def row_block(cols: int, hint: int) -> int:
    """The column block of a row-wise kernel: the hint if a whole row fits in it, but no
    wider than the row rounded up to a power of two (at least 16): a hint made for a row
    length unknown at compile time is far wider than most rows."""
    return min(hint, max(16, next_power_of_2(cols))) if hint >= cols else next_power_of_2(cols)


def _view_shape(shape: tuple[int, ...], view: View) -> tuple[int, ...]:
    """The shape after one output view."""
    kind, args, start = view
    if kind == "permute":
        return tuple(shape[p] for p in args)
    target = args if kind == "reshape" else (*shape[:start], *args)
    if -1 in target:
        known = prod(d for d in target if d != -1)
        target = tuple(prod(shape) // max(known, 1) if d == -1 else d for d in target)
    return tuple(target)


def _apply(t: torch.Tensor, view: View) -> torch.Tensor:
    """`t` after one output view, as torch computes it."""
    kind, args, _ = view
    shape = _view_shape(tuple(t.shape), view)
    return t.permute(args) if kind == "permute" else t.reshape(shape)


class OutputBuffer:
    """Where a kernel stores one output: `kernel` has the stored value's shape and is a
    view of `result` (the output after its views) whenever torch can express it as one;
    otherwise `result()` applies the views to `kernel` after the launch."""

    def __init__(self, shape: Sequence[int], views: Sequence[View], dtype: torch.dtype,
                 device: torch.device):
        shapes = [tuple(shape)]
        for view in views:
            shapes.append(_view_shape(shapes[-1], view))
        self._views = list(views)
        self._result = torch.empty(shapes[-1], dtype=dtype, device=device)
        kernel: torch.Tensor | None = self._result
        for view, before in zip(reversed(self._views), reversed(shapes[:-1])):
            kernel = _inverse(kernel, view, before)
            if kernel is None:
                break
        self._direct = kernel is not None
        self.kernel = kernel if kernel is not None else torch.empty(
            shapes[0], dtype=dtype, device=device)

    def result(self) -> torch.Tensor:
        """The output, once the kernel has run."""
        if self._direct:
            return self._result
        out = self.kernel
        for view in self._views:
            out = _apply(out, view)
        return out.contiguous()


def _inverse(t: torch.Tensor | None, view: View, before: tuple[int, ...]) -> torch.Tensor | None:
    """A view of `t` with the shape it had before `view`, or None if torch has none."""
    if t is None:
        return None
    kind, args, _ = view
    if kind == "permute":
        inverse = [0] * len(args)
        for i, p in enumerate(args):
            inverse[p] = i
        return t.permute(inverse)
    try:
        return t.view(before)
    except RuntimeError:
        return None


def matmul_spaces(a_shape: Sequence[int], b_shape: Sequence[int]) -> tuple[
        tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The lhs, rhs and result shapes of a batched matmul, batch dims broadcast."""
    batch = _broadcast(a_shape[:-2], b_shape[:-2])
    (m, k), n = a_shape[-2:], b_shape[-1]
    return (*batch, m, k), (*batch, k, n), (*batch, m, n)


def device_of(params: dict[str, torch.Tensor], *args: object) -> torch.device:
    """Where a function's kernels allocate: its first tensor argument's device, else its
    first parameter's, else the CPU."""
    for a in args:
        if isinstance(a, torch.Tensor):
            return a.device
    for p in params.values():
        return p.device
    return torch.device("cpu")


def compute_capability(device: torch.device) -> int | None:
    """A CUDA device's compute capability as sm_XY's XY (75, 80, 90), else None (the CPU:
    the interpreter runs every kernel)."""
    if device.type != "cuda":
        return None
    major, minor = torch.cuda.get_device_capability(device)
    return major * 10 + minor


def falls_back(device: torch.device, below: int) -> bool:
    """Whether a kernel that needs sm_`below` takes its PyTorch form on `device` (a GPU of
    a lower compute capability; `fallbacks.ARCH_FALLBACKS` says which kernels)."""
    capability = compute_capability(device)
    return capability is not None and capability < below


_PARAMETER_CONCATS: dict[tuple[int, ...], tuple[list[torch.Tensor], list[int], torch.Tensor]] = {}
_CONCAT_CACHE_SIZE = 32


def concat_parameters(tensors: Sequence[torch.Tensor], axis: int) -> torch.Tensor:
    """`torch.cat(tensors, axis)` of parameters, computed once per set of tensors and
    kept until one of them changes (their version counters) or the cache is full. The
    cache holds the tensors, so their memory cannot be reused by others meanwhile."""
    key = (axis, *(id(t) for t in tensors))
    hit = _PARAMETER_CONCATS.get(key)
    versions = [t._version for t in tensors]
    if hit is not None and all(a is b for a, b in zip(hit[0], tensors)) and hit[1] == versions:
        return hit[2]
    result = torch.cat(tuple(tensors), axis)
    if len(_PARAMETER_CONCATS) >= _CONCAT_CACHE_SIZE:
        _PARAMETER_CONCATS.pop(next(iter(_PARAMETER_CONCATS)))
    _PARAMETER_CONCATS[key] = (list(tensors), versions, result)
    return result


_TUNED: dict[tuple[object, ...], tuple[int, ...]] = {}


def autotune(name: str, key: object, candidates: Sequence[tuple[int, ...]],
             run: Callable[..., None]) -> None:
    """Runs a kernel with the fastest of `candidates` block sizes for `key`, timing each
    once on the first call per key. Only on a CUDA device: the interpreter (or a CPU
    tensor) runs the first candidate, the heuristic choice."""
    import os

    if os.environ.get("TRITON_INTERPRET", "") not in ("", "0") or not torch.cuda.is_available():
        run(*candidates[0])
        return
    best = _TUNED.get((name, key))
    if best is None:
        timings = []
        for sizes in candidates:
            try:
                run(*sizes)  # compile and warm up
                start, end = _timing_event(), _timing_event()
                start.record()
                for _ in range(3):
                    run(*sizes)
                end.record()
                torch.cuda.synchronize()
                timings.append((start.elapsed_time(end), tuple(sizes)))
            except Exception:  # a configuration the GPU cannot run (resources)
                continue
        best = min(timings)[1] if timings else tuple(candidates[0])
        _TUNED[(name, key)] = best
    run(*best)


def _timing_event() -> torch.cuda.Event:
    """A CUDA event that records the time."""
    # torch leaves `torch.cuda.Event`'s constructor unannotated.
    return torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]
