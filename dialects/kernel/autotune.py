"""What a tiled kernel's `autotune` flag asks for: the block sizes that its wrapper times.

`choose-block-sizes{autotune=true}` marks kernels; a backend that autotunes (Triton, on a
CUDA device) tries, for each shape, the configurations that `autotune_candidates` lists
around the kernel's `block_sizes`, and keeps the fastest.
"""

from __future__ import annotations

from mlang.dialects.kernel.ops import AttentionKernelOp, MatmulKernelOp, TiledKernelOp

MAX_BLOCK = 256
"""No tuned block size exceeds this."""


def autotune_candidates(op: TiledKernelOp, chosen: list[int]) -> list[list[int]]:
    """The configurations a kernel marked `autotune` tries: the chosen block sizes first,
    then each tuned size halved and doubled (within what the kernel allows: a matmul's
    BLOCK_K stays at or above `min_block_k`; a reduction is given its BLOCK_R only, since
    whole rows fix BLOCK_C)."""
    low = 16 if isinstance(op, (MatmulKernelOp, AttentionKernelOp)) else 1
    lows = [low, low, op.min_block_k()] if isinstance(op, MatmulKernelOp) else [low] * len(chosen)
    tunable = 2 if isinstance(op, AttentionKernelOp) else len(chosen)  # not BLOCK_Z
    out = [list(chosen)]
    for i, size in enumerate(chosen[:tunable]):
        for other in (size // 2, size * 2):
            if lows[i] <= other <= MAX_BLOCK:
                out.append([*chosen[:i], other, *chosen[i + 1:]])
    return out
