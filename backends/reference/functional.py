"""Reference implementations of M's built-in layers and tensor functions, on torch tensors.

This module is the oracle that every backend is tested against, so each function is the
plainest correct statement of its meaning: a `torch.nn.functional` call where one exists,
otherwise a short composition of torch operations. Names are the M names (sections 6 and
7 of M-LANGUAGE.md); `TENSOR_FUNCTIONS` maps each M function name to its implementation.
Arguments that the user controls and that torch would reject with an obscure message are
checked here and reported as `UserError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from mlang.support.diagnostics import UserError
from mlang.support.shapes import ConvGeometry

Scalar = int | float | bool
TensorOrScalar = torch.Tensor | Scalar
Axis = int | Sequence[int] | None

DTYPES: dict[str, torch.dtype] = {
    "f32": torch.float32,
    "f16": torch.float16,
    "bf16": torch.bfloat16,
    "f64": torch.float64,
    "i64": torch.int64,
    "i32": torch.int32,
    "i8": torch.int8,
    "bool": torch.bool,
}

# ---------------------------------------------------------------------------- layers


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """`x @ weight^T + bias` on the last dimension of an input of any rank."""
    return F.linear(x, weight, bias)


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """NCHW 2-d convolution with a square kernel."""
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)


def conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
         geometry: ConvGeometry) -> torch.Tensor:
    """1-d or 2-d convolution (by the weight's rank) padded `geometry.padding` at the start
    and `geometry.pad_end` at the end of each spatial dimension."""
    g = geometry
    spatial = weight.dim() - 2
    x = F.pad(x, (g.padding, g.pad_end) * spatial)
    f = F.conv1d if spatial == 1 else F.conv2d
    return f(x, weight, bias, stride=g.stride, dilation=g.dilation, groups=g.groups)


def batch_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
               stats: tuple[torch.Tensor, torch.Tensor, torch.Tensor], training: bool,
               momentum: float, eps: float) -> torch.Tensor:
    """`torch.nn.BatchNorm*d`: batch statistics while training, which update the running
    mean and (unbiased) variance in place and count the batch; running ones otherwise."""
    mean, var, count = stats
    if training:
        with torch.no_grad():
            count.add_(1)
    return F.batch_norm(x, mean, var, weight, bias, training, momentum, eps)


def group_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, groups: int,
               eps: float) -> torch.Tensor:
    """`torch.nn.GroupNorm`: each group of channels of each sample normalised."""
    return F.group_norm(x, groups, weight, bias, eps)


def adaptive_avg_pool2d(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """`torch.nn.AdaptiveAvgPool2d(size)`."""
    return F.adaptive_avg_pool2d(x, size)


def gather_rows(table: torch.Tensor, ids: torch.Tensor,
                padding_idx: int | None = None) -> torch.Tensor:
    """The slices `table[i]` for the integer tensor `ids`, of shape `ids.shape +
    table.shape[1:]`; an id outside `[0, len(table))` is an error, as in PyTorch. Row
    `padding_idx` of a 2-d table takes no gradient."""
    _check_ids("gather: id", ids, table.shape[0])
    if padding_idx is not None:
        return F.embedding(ids, table, padding_idx)
    return table[ids]


def embedding(ids: torch.Tensor, weight: torch.Tensor,
              padding_idx: int | None = None) -> torch.Tensor:
    """The rows of `weight` selected by the integer tensor `ids`; row `padding_idx` takes
    no gradient."""
    _check_ids("Embedding", ids, weight.shape[0])
    return F.embedding(ids, weight, padding_idx)


def layer_norm(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, eps: float = 1e-5
) -> torch.Tensor:
    """Normalises the last dimension to zero mean and unit variance, then scales and shifts."""
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """`x * rsqrt(mean(x^2, -1) + eps) * weight`, as `torch.nn.RMSNorm`."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def attention(
    x: torch.Tensor,
    q_w: torch.Tensor,
    q_b: torch.Tensor | None,
    k_w: torch.Tensor,
    k_b: torch.Tensor | None,
    v_w: torch.Tensor,
    v_b: torch.Tensor | None,
    out_w: torch.Tensor,
    out_b: torch.Tensor | None,
    heads: int,
    causal: bool = False,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Multi-head self-attention on `[N, T, dim]`, as `nn.MultiheadAttention(batch_first=True)`;
    a `mask` broadcasting to the scores `[N, heads, T, T]` keeps them where a boolean one is
    true, and is added to them otherwise."""
    if x.dim() != 3:
        raise UserError(f"Attention expects an input of shape [N, T, dim], got {_shape(x)}")
    n, t, dim = x.shape
    if heads < 1 or dim % heads != 0:
        raise UserError(f"Attention: dim {dim} is not divisible by heads {heads}")
    q = _split_heads(linear(x, q_w, q_b), heads)
    k = _split_heads(linear(x, k_w, k_b), heads)
    v = _split_heads(linear(x, v_w, v_b), heads)
    scores = q @ k.transpose(-2, -1) / math.sqrt(dim // heads)
    if causal:
        # Position i may look at positions 0..i only: mask everything above the diagonal.
        future = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
    if mask is not None and mask.dtype == torch.bool:
        scores = scores.masked_fill(~mask, float("-inf"))
    elif mask is not None:
        scores = scores + mask
    mixed = torch.softmax(scores, dim=-1) @ v
    return linear(mixed.transpose(1, 2).reshape(n, t, dim), out_w, out_b)


def _split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """`[N, T, dim]` -> `[N, heads, T, dim / heads]`, each head a contiguous group of dim."""
    n, t, dim = x.shape
    return x.reshape(n, t, heads, dim // heads).transpose(1, 2)


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Zeroes each element with probability `p` and rescales by `1/(1-p)` while training:
    `torch.nn.functional.dropout`, so that it draws what the torch backend draws."""
    if not 0.0 <= p <= 1.0:
        raise UserError(f"Dropout probability must be between 0 and 1, got {p}")
    return F.dropout(x, p, training)


def max_pool2d(x: torch.Tensor, kernel: int, stride: int | None = None,
               padding: int = 0) -> torch.Tensor:
    """NCHW max pooling (padded with -inf); the stride defaults to the kernel size."""
    return F.max_pool2d(x, kernel, stride if stride is not None else kernel, padding)


def avg_pool2d(x: torch.Tensor, kernel: int, stride: int | None = None,
               padding: int = 0) -> torch.Tensor:
    """NCHW average pooling (padded with zeros that count); the stride defaults to the
    kernel size."""
    return F.avg_pool2d(x, kernel, stride if stride is not None else kernel, padding)


def flatten(x: torch.Tensor, start: int = 1) -> torch.Tensor:
    """Flattens dimensions `start..` into one."""
    return torch.flatten(x, start)


# ---------------------------------------------------------------------------- elementwise


def _floating(x: torch.Tensor) -> torch.Tensor:
    """`x`, with integers as float32: the dtype the frontend gives `gelu` and `softmax` of
    them, where torch's own functions refuse integers (as `torch.exp` does not)."""
    return x if x.is_floating_point() else x.to(torch.float32)


def relu(x: torch.Tensor) -> torch.Tensor:
    """`max(x, 0)`."""
    return torch.relu(x)


def gelu(x: torch.Tensor) -> torch.Tensor:
    """The exact GELU, `x * Phi(x)` with `erf`."""
    return F.gelu(_floating(x))


def silu(x: torch.Tensor) -> torch.Tensor:
    """`x * sigmoid(x)`."""
    return F.silu(_floating(x))


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """`1 / (1 + exp(-x))`."""
    return torch.sigmoid(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent."""
    return torch.tanh(x)


def exp(x: torch.Tensor) -> torch.Tensor:
    """`e^x`."""
    return torch.exp(x)


def log(x: torch.Tensor) -> torch.Tensor:
    """Natural logarithm."""
    return torch.log(x)


def sqrt(x: torch.Tensor) -> torch.Tensor:
    """Square root."""
    return torch.sqrt(x)


def rsqrt(x: torch.Tensor) -> torch.Tensor:
    """`1 / sqrt(x)`."""
    return torch.rsqrt(x)


def abs(x: torch.Tensor) -> torch.Tensor:  # noqa: A001 - the M name
    """Absolute value."""
    return torch.abs(x)


def sin(x: torch.Tensor) -> torch.Tensor:
    """Sine."""
    return torch.sin(x)


def cos(x: torch.Tensor) -> torch.Tensor:
    """Cosine."""
    return torch.cos(x)


def neg(x: TensorOrScalar) -> TensorOrScalar:
    """`-x`."""
    return -x


def add(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """`a + b` with broadcasting and PyTorch's type promotion."""
    return a + b


def sub(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """`a - b`."""
    return a - b


def mul(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """`a * b`."""
    return a * b


def div(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """True division `a / b`: integers divide to a float, as `torch.div`."""
    return a / b


def pow(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:  # noqa: A001 - the M name
    """`a ** b`."""
    return a**b


def eq(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """Elementwise `a == b`."""
    return a == b


def ne(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """Elementwise `a != b`."""
    return a != b


def lt(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """Elementwise `a < b`."""
    return a < b


def le(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """Elementwise `a <= b`."""
    return a <= b


def gt(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """Elementwise `a > b`."""
    return a > b


def ge(a: TensorOrScalar, b: TensorOrScalar) -> TensorOrScalar:
    """Elementwise `a >= b`."""
    return a >= b


def logical_and(a: TensorOrScalar, b: TensorOrScalar) -> torch.Tensor:
    """Elementwise `a and b` on booleans."""
    return torch.logical_and(*_as_tensors(a, b))


def logical_or(a: TensorOrScalar, b: TensorOrScalar) -> torch.Tensor:
    """Elementwise `a or b` on booleans."""
    return torch.logical_or(*_as_tensors(a, b))


def logical_not(x: torch.Tensor) -> torch.Tensor:
    """Elementwise `not x` on booleans."""
    return torch.logical_not(x)


def maximum(a: TensorOrScalar, b: TensorOrScalar) -> torch.Tensor:
    """Elementwise maximum with broadcasting."""
    return torch.maximum(*_as_tensors(a, b))


def minimum(a: TensorOrScalar, b: TensorOrScalar) -> torch.Tensor:
    """Elementwise minimum with broadcasting."""
    return torch.minimum(*_as_tensors(a, b))


def clamp(x: torch.Tensor, lo: Scalar | None, hi: Scalar | None) -> torch.Tensor:
    """Limits every element to `[lo, hi]`; either bound may be omitted (None)."""
    return torch.clamp(x, lo, hi)


def where(cond: TensorOrScalar, a: TensorOrScalar, b: TensorOrScalar) -> torch.Tensor:
    """`a` where `cond` holds, else `b`; a non-boolean condition means `cond != 0`."""
    cond = torch.as_tensor(cond)
    if cond.dtype != torch.bool:
        cond = cond != 0
    return torch.where(cond, a, b)


def _as_tensors(a: TensorOrScalar, b: TensorOrScalar) -> tuple[torch.Tensor, torch.Tensor]:
    """Both operands as tensors of their promoted dtype, so Python numbers are accepted."""
    dtype = torch.result_type(a, b)
    return torch.as_tensor(a, dtype=dtype), torch.as_tensor(b, dtype=dtype)


# ---------------------------------------------------------------------------- reductions


def softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Softmax along `axis`."""
    return torch.softmax(_floating(x), dim=axis)


def log_softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Log-softmax along `axis`."""
    return torch.log_softmax(_floating(x), dim=axis)


def sum(x: torch.Tensor, axis: Axis = None, keepdim: bool = False) -> torch.Tensor:  # noqa: A001
    """Sum over `axis` (every axis when None)."""
    return torch.sum(x, dim=_dims(x, axis), keepdim=keepdim)


def mean(x: torch.Tensor, axis: Axis = None, keepdim: bool = False) -> torch.Tensor:
    """Mean over `axis` (every axis when None) of a floating-point tensor."""
    if not (x.is_floating_point() or x.is_complex()):
        raise UserError(f"mean needs a floating-point tensor, got {_dtype_name(x.dtype)}")
    return torch.mean(x, dim=_dims(x, axis), keepdim=keepdim)


def max(x: torch.Tensor, axis: Axis = None, keepdim: bool = False) -> torch.Tensor:  # noqa: A001
    """Largest value over `axis` (every axis when None); values only, no indices."""
    return torch.amax(x, dim=_dims(x, axis), keepdim=keepdim)


def min(x: torch.Tensor, axis: Axis = None, keepdim: bool = False) -> torch.Tensor:  # noqa: A001
    """Smallest value over `axis` (every axis when None); values only, no indices."""
    return torch.amin(x, dim=_dims(x, axis), keepdim=keepdim)


def argmax(x: torch.Tensor, axis: int | None = None) -> torch.Tensor:
    """Index (i64) of the largest value along `axis`, or in the flattened tensor when None."""
    return torch.argmax(x, dim=axis)


def _dims(x: torch.Tensor, axis: Axis) -> tuple[int, ...]:
    """The reduced dimensions as a tuple; None means all of them."""
    if axis is None:
        return tuple(range(x.dim()))
    if isinstance(axis, int):
        return (axis,)
    return tuple(axis)


# ---------------------------------------------------------------------------- shapes


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Matrix product, batched and broadcast as `torch.matmul`."""
    return torch.matmul(a, b)


def transpose(x: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """Swaps dimensions `a` and `b`."""
    return torch.transpose(x, a, b)


def permute(x: torch.Tensor, dims: Sequence[int]) -> torch.Tensor:
    """Reorders the dimensions: result dimension i is input dimension `dims[i]`."""
    return torch.permute(x, tuple(dims))


def reshape(x: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """The same elements in a new shape; one entry may be -1 (inferred)."""
    try:
        return torch.reshape(x, tuple(shape))
    except RuntimeError:
        raise UserError(f"cannot reshape a tensor of shape {_shape(x)} to {list(shape)}") from None


def concat(tensors: Sequence[torch.Tensor], axis: int = 0) -> torch.Tensor:
    """Joins tensors along an existing `axis`."""
    return torch.cat(list(tensors), dim=axis)


def cast(x: torch.Tensor, dtype: str) -> torch.Tensor:
    """Converts `x` to the element type named `dtype` (`f32`, `i8`, ...)."""
    return x.to(dtype_of(dtype))


def one_hot(ids: torch.Tensor, n: int) -> torch.Tensor:
    """`[..., n]` i64 tensor with a 1 at each id, as `F.one_hot`."""
    _check_ids("one_hot", ids, n)
    return F.one_hot(ids.long(), n)


def erf(x: torch.Tensor) -> torch.Tensor:
    """The Gauss error function (integers as f32)."""
    return torch.erf(_floating(x))


def tril(x: torch.Tensor, k: int = 0) -> torch.Tensor:
    """The lower triangle of the last two dimensions, as `torch.tril`."""
    return torch.tril(x, k)


def triu(x: torch.Tensor, k: int = 0) -> torch.Tensor:
    """The upper triangle of the last two dimensions, as `torch.triu`."""
    return torch.triu(x, k)


def cumsum(x: torch.Tensor, axis: int) -> torch.Tensor:
    """Running sums along `axis` (booleans and integers in i64, as PyTorch)."""
    return torch.cumsum(x, axis)


def topk(x: torch.Tensor, k: int, axis: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """The `k` largest values along `axis`, largest first, and their indices."""
    values, indices = torch.topk(x, k, dim=axis)
    return values, indices


def gather(x: torch.Tensor, axis: int, index: torch.Tensor) -> torch.Tensor:
    """`torch.gather`: the elements of `x` at `index` along `axis`."""
    _check_ids("gather", index, x.shape[axis])
    return torch.gather(x, axis, index.long())


def unsqueeze(x: torch.Tensor, axis: int) -> torch.Tensor:
    """`x` with a new dimension of size 1 at `axis`."""
    return torch.unsqueeze(x, axis)


def squeeze(x: torch.Tensor, axis: int) -> torch.Tensor:
    """`x` without dimension `axis`, which must have size 1."""
    if x.shape[axis] != 1:
        raise UserError(f"squeeze: axis {axis} has size {x.shape[axis]}, not 1")
    return torch.squeeze(x, axis)


def expand(x: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """`x` broadcast to `shape` (-1 keeps a size), as `Tensor.expand`."""
    return x.expand(tuple(shape))


def repeat_interleave(x: torch.Tensor, n: int, axis: int) -> torch.Tensor:
    """Each element repeated `n` times along `axis`."""
    return torch.repeat_interleave(x, n, dim=axis)


def pad_axis(x: torch.Tensor, axis: int, before: int, after: int, value: Scalar) -> torch.Tensor:
    """`x` with `before` and `after` elements of `value` around dimension `axis` (a negative
    width crops), written as cropping and concatenation."""
    # This module's `max` is the tensor reduction: plain comparisons instead.
    start = -before if before < 0 else 0
    stop = x.shape[axis] + (after if after < 0 else 0)
    x = x.narrow(axis, start, stop - start if stop > start else 0)

    def filler(width: int) -> torch.Tensor:
        sizes = list(x.shape)
        sizes[axis] = width if width > 0 else 0
        return torch.full(sizes, value, dtype=x.dtype, device=x.device)

    return torch.cat([filler(before), x, filler(after)], dim=axis)


def shape(x: torch.Tensor) -> list[int]:
    """The dimensions of `x` as a list of ints."""
    return list(x.shape)


# ---------------------------------------------------------------------------- creation


def zeros(shape: Sequence[int]) -> torch.Tensor:
    """An f32 tensor of zeros."""
    return torch.zeros(tuple(shape))


def ones(shape: Sequence[int]) -> torch.Tensor:
    """An f32 tensor of ones."""
    return torch.ones(tuple(shape))


def full(shape: Sequence[int], value: Scalar) -> torch.Tensor:
    """A tensor filled with `value`; its dtype follows the value, as `torch.full`."""
    return torch.full(tuple(shape), value)


def arange(n: int) -> torch.Tensor:
    """`[0, 1, ..., n-1]` as i64."""
    return torch.arange(n)


def randn(shape: Sequence[int], seed: int | None = None) -> torch.Tensor:
    """Standard normal f32 samples, from a private generator when `seed` is given."""
    return torch.randn(tuple(shape), generator=_generator(seed))


def rand(shape: Sequence[int], seed: int | None = None) -> torch.Tensor:
    """Uniform `[0, 1)` f32 samples, from a private generator when `seed` is given."""
    return torch.rand(tuple(shape), generator=_generator(seed))


def tensor(values: object) -> torch.Tensor:
    """A tensor from nested lists: i64 when every value is an integer, else f32."""
    try:
        return torch.tensor(values)
    except (TypeError, ValueError) as err:
        raise UserError(f"cannot make a tensor from {values!r}: {err}") from None


def _generator(seed: int | None) -> torch.Generator | None:
    """A fresh generator seeded with `seed`, or None (the global generator)."""
    if seed is None:
        return None
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------- losses


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy; classes on the last dimension of `logits`, integer `labels`."""
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise UserError(
            f"cross_entropy needs integer labels, got {_dtype_name(labels.dtype)}"
        )
    classes = logits.shape[-1]
    _check_ids("cross_entropy label", labels, classes)
    # Leading dimensions are all batch, as for a sequence model's [N, T, classes] output.
    return F.cross_entropy(logits.reshape(-1, classes), labels.reshape(-1).long())


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error; the target is converted to the prediction's dtype."""
    if pred.shape != target.shape:
        raise UserError(f"mse: prediction {_shape(pred)} and target {_shape(target)} differ")
    return F.mse_loss(pred, target.to(pred.dtype))


# ---------------------------------------------------------------------------- helpers


def dtype_of(name: str) -> torch.dtype:
    """The torch dtype for an M dtype name; an unknown name is a `UserError`."""
    if name not in DTYPES:
        raise UserError(f"unknown dtype '{name}'; expected one of {', '.join(DTYPES)}")
    return DTYPES[name]


def _dtype_name(dtype: torch.dtype) -> str:
    """The M name of a torch dtype, or torch's own name for one M does not have."""
    for name, candidate in DTYPES.items():
        if candidate == dtype:
            return name
    return str(dtype).removeprefix("torch.")


def _check_ids(what: str, ids: torch.Tensor, count: int) -> None:
    """Raises a `UserError` unless `ids` is an integer tensor with values in `[0, count)`."""
    if ids.is_floating_point() or ids.dtype == torch.bool:
        raise UserError(f"{what} needs integer ids, got {_dtype_name(ids.dtype)}")
    if ids.numel() == 0:
        return
    lo, hi = int(ids.min()), int(ids.max())
    if lo < 0 or hi >= count:
        bad = lo if lo < 0 else hi
        raise UserError(f"{what} {bad} is out of range [0, {count})")


def _shape(x: torch.Tensor) -> list[int]:
    """The shape of `x` as a list, for messages."""
    return list(x.shape)


TENSOR_FUNCTIONS: dict[str, Callable[..., object]] = {
    fn.__name__: fn
    for fn in (
        relu, gelu, silu, sigmoid, tanh, exp, log, sqrt, rsqrt, abs, sin, cos,
        softmax, log_softmax, sum, mean, max, min, argmax,
        matmul, transpose, permute, reshape, flatten, concat, where, maximum, minimum,
        clamp, cast, one_hot, erf, tril, triu, cumsum, topk, gather, unsqueeze, squeeze,
        expand, repeat_interleave, shape, zeros, ones, full, arange, randn, rand, tensor,
        cross_entropy, mse,
    )
}
"""Every built-in tensor function of section 7, by its M name."""
