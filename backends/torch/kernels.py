"""Helpers that generated torch modules call where one PyTorch operator does not do.

`generate_module` imports those a module needs (`from mlang.backends.torch.kernels import
int8_linear`). Each computes exactly what the tensor ops it stands for compute, in the
same order, so that results equal the reference backend's bit for bit. `batch_norm`, which
updates running statistics in place while training, is the reference backend's own. The int8 steps
run as the fused kernels of `native.py` where those apply, else as eager operators and
`torch._int_mm`.
"""

from __future__ import annotations

import torch

from mlang.backends.reference.functional import batch_norm
from mlang.backends.torch import native

__all__ = ["batch_norm", "int8_linear", "int8_matmul", "int8_quantize", "int8_quantize_rows",
           "int8_row_scale", "int8_scaled_matmul"]


def int8_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The int32 product of int8 tensors, exact: `torch._int_mm` on the rows of `a` where it
    applies (a matrix `b`; on CUDA, more than 16 rows and sizes that are multiples of 8),
    else through float64, which holds every such sum exactly. A contraction of size 1 goes
    through float64 too: `_int_mm` on the CPU returns garbage for a `b` of one row that is
    a transposed view (strides (1, 1)), as a linear layer of one input feature reads it."""
    if a.dim() >= 2 and b.dim() == 2 and a.shape[-1] > 1 and (a.device.type == "cpu" or (
            a.numel() // max(a.shape[-1], 1) > 16 and a.shape[-1] % 8 == 0
            and b.shape[1] % 8 == 0 and b.shape[1] > 0)):
        rows = torch._int_mm(a.reshape(-1, a.shape[-1]), b)
        return rows.reshape(*a.shape[:-1], b.shape[1])
    return torch.matmul(a.to(torch.float64), b.to(torch.float64)).to(torch.int32)


def int8_row_scale(x: torch.Tensor, dim: int) -> torch.Tensor:
    """The dynamic-quantization scale of each row of `x` along `dim`: its largest magnitude
    over 127, and 1 for a row of zeros (or of NaNs), as `quantize` spells it."""
    fused = native.row_scales(x, dim)
    if fused is not None:
        return fused
    high = torch.amax(x, dim=dim, keepdim=True)  # amax and amin: aminmax is 10x slower
    scale = torch.maximum(high, torch.amin(x, dim=dim, keepdim=True).neg_()).div_(127.0)
    return torch.where(scale > 0, scale, 1.0)  # one op fewer than masked_fill_(~(...))


def int8_quantize(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """`clamp(round_half_even(x / scale), -127, 127)` as int8."""
    fused = native.quantize(x, scale)
    if fused is not None:
        return fused
    # Rounded and clamped in place: the quotient is a fresh tensor that nothing else reads.
    return torch.div(x, scale).round_().clamp_(-127, 127).to(torch.int8)


def int8_quantize_rows(x: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`int8_quantize(x, s), s` for `s = int8_row_scale(x, dim)`: dynamic quantization,
    the int8 values and their scales, from one pass over `x` where the fused kernel
    applies."""
    fused = native.quantize_rows(x, dim)
    if fused is not None:
        return fused
    scales = int8_row_scale(x, dim)
    return int8_quantize(x, scales), scales


def int8_scaled_matmul(xq: torch.Tensor, w: torch.Tensor, x_scale: torch.Tensor,
                       w_scale: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """`float(xq @ w) * x_scale * w_scale (+ bias)` for int8 `xq` and `w`: one fused
    kernel where there is one, else one fresh tensor, rescaled in place (int8 products
    have no gradient to keep inputs for)."""
    fused = native.scaled_matmul(xq, w, x_scale, w_scale, bias)
    if fused is not None:
        return fused
    product = int8_matmul(xq, w)
    fused = native.rescale(product, x_scale, w_scale, bias)
    if fused is not None:
        return fused
    y = product.to(x_scale.dtype).mul_(x_scale).mul_(w_scale)
    return y if bias is None else y.add_(bias)


def int8_linear(xq: torch.Tensor, w: torch.Tensor, x_scale: torch.Tensor,
                w_scale: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """`int8_scaled_matmul` of a weight stored as `nn.Linear` stores it: `w` is
    `[out, in]` and `w_scale` `[out, 1]`, both read transposed."""
    return int8_scaled_matmul(xq, w.t(), x_scale, w_scale.t(), bias)
