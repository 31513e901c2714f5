"""Device functions that generated kernels call (`dl.tanh(x)`), for what `triton.language`
lacks or what its interpreter cannot run (libdevice). All compute in the input's type."""

# Triton functions stay unannotated: `triton.jit` reads parameter annotations as Triton
# types (`tl.constexpr`, `*fp32`), and triton ships no type hints for mypy to check them by.
# mypy: disallow-untyped-defs=False

import triton
import triton.language as tl


@triton.jit
def tanh(x):
    """Hyperbolic tangent: a short series near 0, else through exp (no cancellation)."""
    ax = tl.abs(x)
    e = tl.exp(-2.0 * ax)
    big = (1.0 - e) / (1.0 + e)
    x2 = x * x
    small = ax * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 - x2 * (17.0 / 315.0))))
    y = tl.where(ax < 0.0625, small, big)
    return tl.where(x < 0, -y, y)


@triton.jit
def pow(x, y):
    """`x ** y` with PyTorch's rules for negative bases, zero and integral exponents."""
    # A constant operand is a 0-d tensor: broadcast both, as the masks below must be tiles.
    x, y = x + tl.zeros_like(y), y + tl.zeros_like(x)
    ax = tl.abs(x)
    r = tl.exp2(y * tl.log2(ax))
    integral = tl.floor(y) == y
    odd = integral & (tl.floor(y * 0.5) * 2.0 != y)
    r = tl.where((x < 0) & odd, -r, r)
    r = tl.where((x < 0) & (~integral), float("nan"), r)
    return tl.where(y == 0, 1.0, r)


@triton.jit
def rint(x):
    """Round half to even, as `torch.round`."""
    r = tl.floor(x + 0.5)
    tie = (r - x) == 0.5
    odd = (r - 2.0 * tl.floor(r * 0.5)) != 0.0
    return tl.where(tie & odd, r - 1.0, r)


@triton.jit
def quantize(x, scale):
    """Symmetric int8 quantization, `clamp(round(x / scale), -127, 127)`."""
    q = rint(x / scale)
    return tl.minimum(tl.maximum(q, -127.0), 127.0).to(tl.int8)
