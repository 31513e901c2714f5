"""`choose-block-sizes`: fixes the block sizes of every tiled kernel from its shapes.

In: kernel ops (after `wrap-kernels`). Out: the same ops, each pointwise, reduction,
matmul and attention kernel with `block_sizes` set (existing ones are kept):

- pointwise `[BLOCK]`: 1024 elements per program, fewer for a small static output;
- reduction `[BLOCK_R, BLOCK_C]`: a whole row in `BLOCK_C` (the row length rounded up
  to a power of two), and about 4096 elements per program;
- matmul `[BLOCK_M, BLOCK_N, BLOCK_K]`: 64 x 64 x 32 tiles, shrunk (to at least 16,
  what `tl.dot` needs; BLOCK_K to at least 32 for int8) for small static sizes;
- attention `[BLOCK_M, BLOCK_N, BLOCK_Z]`: 64 queries by 64 keys, shrunk for short
  sequences, of one batch entry (head) per program.

Unknown (`?`) sizes count as large. With `interpreter=true` blocks are several times
larger, which the Triton interpreter runs much faster (the Triton backend sets it when it
interprets). With `autotune=true` each tiled kernel is also marked `autotune`: on a CUDA
device its wrapper then times a few neighbouring configurations
(`dialects/kernel/autotune.py`) on the first call for each shape and keeps the fastest.
Autotuning is GPU-only: under the Triton interpreter the heuristic choice is used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.passes import ModulePass

from mlang.dialects.kernel import (
    AttentionKernelOp, MatmulKernelOp, PointwiseKernelOp, ReductionKernelOp, TiledKernelOp,
)
from mlang.dialects.kernel.body import value_shape
from mlang.dialects.tensorops.base import int_array

LARGE = 1 << 20
"""What an unknown size counts as."""


def _pow2(n: int, low: int, high: int) -> int:
    """`n` rounded up to a power of two, clamped to `[low, high]`."""
    p = 1 << max(n - 1, 0).bit_length()
    return max(low, min(high, p))


def _size(d: int | None) -> int:
    """A static size, or LARGE for `?`."""
    return LARGE if d is None else d


def heuristic_block_sizes(op: TiledKernelOp, interpreter: bool = False) -> list[int]:
    """The block sizes the heuristics give `op`, in the order of `BLOCK_SIZE_NAMES`.
    For the interpreter, blocks are as large as the shapes allow: it pays per program
    and per op, not per element."""
    scale = 8 if interpreter else 1
    if isinstance(op, PointwiseKernelOp):
        shape = op.iteration_shape()
        return [_pow2(prod(_size(d) for d in shape), 16, 1024 * scale)]
    if isinstance(op, ReductionKernelOp):
        shape = op.iteration_shape()
        cols = _pow2(_size(shape[-1]), 16, 1 << 16)
        rows = prod(_size(d) for d in shape[:-1])
        return [_pow2(rows, 1, max(1, 4096 * scale // cols)), cols]
    if isinstance(op, MatmulKernelOp):
        mm = op.product().matmul
        lhs, rhs = value_shape(mm.lhs), value_shape(mm.rhs)
        rows = prod(_size(d) for d in lhs[:-1]) if len(rhs) <= 2 else _size(lhs[-2])
        tile = 64 * (4 if interpreter else 1)
        return [_pow2(rows, 16, tile), _pow2(_size(rhs[-1]), 16, tile),
                _pow2(_size(lhs[-1]), op.min_block_k(), 32 * scale)]
    if isinstance(op, AttentionKernelOp):
        pattern = op.pattern()
        queries, keys = pattern.sizes()
        tile = 64 * (2 if interpreter else 1)
        batch = prod(_size(d) for d in value_shape(pattern.q)[:-2])
        heads = _pow2(batch, 1, max(1, 4096 // tile)) if interpreter else 1
        return [_pow2(_size(queries), 16, tile), _pow2(_size(keys), 16, tile), heads]
    raise ValueError(f"no block-size heuristic for {op.name}")


@dataclass(frozen=True)
class ChooseBlockSizes(ModulePass):
    """Sets the block sizes of tiled kernels from their shapes (autotune: GPU only)."""

    name = "choose-block-sizes"

    autotune: bool = False
    """Mark kernels for run-time autotuning on a CUDA device (ignored by the interpreter)."""
    interpreter: bool = False
    """Choose for the Triton interpreter (large blocks: it pays per program and per op)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Sets `block_sizes` (and `autotune`) on every tiled kernel that lacks them."""
        for kernel in op.walk():
            if not isinstance(kernel, TiledKernelOp):
                continue
            if kernel.block_sizes is None:
                sizes = heuristic_block_sizes(kernel, self.interpreter)
                kernel.properties["block_sizes"] = int_array(sizes)
            if self.autotune:
                kernel.properties["autotune"] = UnitAttr()

