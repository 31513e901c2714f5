"""The `kernel` dialect: groups of tensorops that run as one kernel.

Five kinds, each holding its computation as a region of tensorops over block arguments
that stand for its inputs, ended by `kernel.yield` (see `ops` for the format, `body` for
how a body splits into host prologue, device ops and output views):

- `kernel.pointwise`: elementwise ops with broadcasting, over the output shape;
- `kernel.reduction`: row-wise reductions over the last axis with elementwise prologue
  and epilogue (softmax, layer norm, RMS norm, log-softmax, mean, sum);
- `kernel.matmul`: a tiled product with elementwise prologues on its operands (such as
  dequantize) and an elementwise epilogue (bias, activation, residual add);
- `kernel.attention`: scores, scale, optional causal mask, softmax and the product
  with V, streamed over keys;
- `kernel.extern`: one tensor op that PyTorch computes.

Every backend generates code from these bodies; `block_sizes` is set by
`choose-block-sizes`.
"""

from xdsl.ir import Dialect

from mlang.dialects.kernel.body import Body, Output, Role, split_body
from mlang.dialects.kernel.ops import (
    KERNEL_OPS, AttentionKernelOp, ExternKernelOp, KernelOp, MatmulKernelOp, PointwiseKernelOp,
    ReductionKernelOp,
    TiledKernelOp, YieldOp,
)

__all__ = [
    "KERNEL_OPS", "AttentionKernelOp", "Body", "ExternKernelOp", "Kernel", "KernelOp",
    "MatmulKernelOp", "Output", "PointwiseKernelOp", "ReductionKernelOp", "Role", "TiledKernelOp",
    "YieldOp", "split_body",
]

Kernel = Dialect("kernel", [*KERNEL_OPS, YieldOp], [])
