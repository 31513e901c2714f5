"""The fused int8 kernels of `int8_native.c`, compiled once with the system C compiler and
called through ctypes.

Eager PyTorch quantizes an activation per row and rescales an int32 product in several
passes over memory each; these do it in one. On a CPU with AVX-512 VNNI the int8 product
itself is one too, with the rescale as its epilogue, so that the int32 product never goes
through memory: that is what separates a dynamic int8 linear layer from `torch.ao`'s
fused one. Each wrapper returns None where it does not apply (not float32 on the CPU, a
layout it does not take, no compiler or no VNNI at hand), and `kernels.py` then uses its
eager operators and `torch._int_mm`, which compute the same values bit for bit (the tests
compare the two).

The library is built at first use into `codegen.cache_dir()`, named by a hash of the
source, the flags and the machine, with OpenMP if the compiler has it. `$CC` chooses the
compiler (default `cc`); `MLANG_NATIVE=0` turns the kernels off.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import os
import platform
import shutil
import subprocess
import tempfile
import weakref
from functools import cache
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("int8_native.c")
FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-shared", "-fPIC")
"""`-ffp-contract=off`: no fused multiply-adds, which would round once where eager rounds
twice. `-march=native` is why the machine is part of the library's name."""
OPENMP = ("-fopenmp",)
BUILD_SECONDS = 120

_P, _I64, _INT = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
_SIGNATURES = {
    "int8_row_scales": ([_P, _I64, _I64, _P, _INT], None),
    "int8_quantize": ([_P, _I64, _I64, _P, _I64, _P, _INT], None),
    "int8_quantize_rows": ([_P, _I64, _I64, _P, _P, _INT], None),
    "int8_rescale": ([_P, _I64, _I64, _P, _I64, _P, _I64, _P, _P, _INT], None),
}
_GEMM_SIGNATURES = {
    "int8_packed_bytes": ([_I64, _I64], _I64),
    "int8_pack": ([_P, _I64, _I64, _I64, _I64, _P, _INT], None),
    "int8_gemm": ([_P, _I64, _I64, _P, _I64, _P, _I64, _P, _I64, _P, _P, _INT], _INT),
}
"""Compiled only where the CPU has AVX-512 VNNI."""
GEMM_MAX_DEPTH = 65792
"""The longest contraction whose int32 sums of (a + 128) * b cannot overflow: 255 * 128 *
65792 < 2**31."""


@cache
def library() -> ctypes.CDLL | None:
    """The compiled kernels, built at first use; None when they are off or cannot be built."""
    if os.environ.get("MLANG_NATIVE") == "0":
        return None
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        return None
    for extra in (OPENMP, ()):
        path = _built(compiler, extra)
        if path is None:
            continue
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        signatures = _SIGNATURES | (_GEMM_SIGNATURES if hasattr(lib, "int8_gemm") else {})
        for name, (argtypes, restype) in signatures.items():
            getattr(lib, name).argtypes = argtypes
            getattr(lib, name).restype = restype
        return lib
    return None


def _built(compiler: str, extra: tuple[str, ...]) -> Path | None:
    """The library built with `extra` flags, from the cache or compiled now (atomically,
    so that concurrent first uses do not see half a file)."""
    from mlang.backends.torch.codegen import cache_dir

    key = hashlib.sha256(SOURCE.read_bytes())
    for part in (compiler, *FLAGS, *extra, platform.machine(), _cpu_flags()):
        key.update(part.encode())
    path = cache_dir() / f"int8-native-{key.hexdigest()[:32]}.so"
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".so")
        os.close(fd)
        done = subprocess.run([compiler, *FLAGS, *extra, str(SOURCE), "-o", tmp],
                              capture_output=True, timeout=BUILD_SECONDS, check=False)
        if done.returncode != 0:
            os.unlink(tmp)
            return None
        os.replace(tmp, path)
    except (OSError, subprocess.SubprocessError):
        return None
    return path


def _cpu_flags() -> str:
    """The instruction-set flags of this CPU where the OS lists them (Linux), else ''."""
    try:
        with open("/proc/cpuinfo") as info:
            return next((line for line in info if line.startswith("flags")), "")
    except OSError:
        return ""


def _fits(t: torch.Tensor, dtype: torch.dtype) -> bool:
    """Whether a kernel can read `t` as a plain buffer: on the CPU, of `dtype`, contiguous,
    and not part of an autograd graph."""
    return (t.device.type == "cpu" and t.dtype == dtype and t.is_contiguous()
            and not t.requires_grad)


def _stride(scale: torch.Tensor, count: int) -> int | None:
    """How a scale steps per row (or column): 0 for one scale in all, 1 for `count` of
    them, None for any other layout."""
    if not _fits(scale, torch.float32):
        return None
    return 0 if scale.numel() == 1 else 1 if scale.numel() == count else None


def _by_rows(x: torch.Tensor, dim: int) -> ctypes.CDLL | None:
    """The library where its per-row kernels take `x` along `dim` (float32 rows along the
    last dimension), else None."""
    lib = library()
    if (lib is None or not _fits(x, torch.float32) or x.dim() == 0 or x.shape[-1] == 0
            or dim % x.dim() != x.dim() - 1):
        return None
    return lib


def row_scales(x: torch.Tensor, dim: int) -> torch.Tensor | None:
    """`int8_row_scale(x, dim)` along the last dimension, shaped `[..., 1]`."""
    if (lib := _by_rows(x, dim)) is None:
        return None
    cols = x.shape[-1]
    scales = torch.empty(*x.shape[:-1], 1)
    lib.int8_row_scales(x.data_ptr(), x.numel() // cols, cols, scales.data_ptr(),
                        torch.get_num_threads())
    return scales


def quantize(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor | None:
    """`int8_quantize(x, scale)` for one scale in all or one per row (`[..., 1]`)."""
    lib = library()
    if lib is None or not _fits(x, torch.float32) or x.dim() == 0 or x.shape[-1] == 0:
        return None
    cols = x.shape[-1]
    rows = x.numel() // cols
    stride = _stride(scale, rows)
    if stride is None or (stride == 1 and tuple(scale.shape) != (*x.shape[:-1], 1)):
        return None
    q = torch.empty(x.shape, dtype=torch.int8)
    lib.int8_quantize(x.data_ptr(), rows, cols, scale.data_ptr(), stride, q.data_ptr(),
                      torch.get_num_threads())
    return q


def quantize_rows(x: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """`int8_quantize(x, s)` and `s = int8_row_scale(x, dim)` along the last dimension, in
    one pass over `x`."""
    if (lib := _by_rows(x, dim)) is None:
        return None
    cols = x.shape[-1]
    q = torch.empty(x.shape, dtype=torch.int8)
    scales = torch.empty(*x.shape[:-1], 1)
    lib.int8_quantize_rows(x.data_ptr(), x.numel() // cols, cols, q.data_ptr(),
                           scales.data_ptr(), torch.get_num_threads())
    return q, scales


def _epilogue(rows_shape: tuple[int, ...], cols: int, x_scale: torch.Tensor,
              w_scale: torch.Tensor, bias: torch.Tensor | None) -> tuple[int, int] | None:
    """The row and column strides of the scales of a product `[*rows_shape, cols]` (a row
    scale `[*rows_shape, 1]` or one in all, a column scale `[1, cols]`, `[cols]` or one in
    all, a bias of `[cols]`), or None where the kernels do not take them."""
    row_stride, column_stride = _stride(x_scale, math.prod(rows_shape)), _stride(w_scale, cols)
    if (row_stride is None or column_stride is None or cols == 0
            or (row_stride == 1 and tuple(x_scale.shape) != (*rows_shape, 1))
            or (column_stride == 1 and w_scale.shape[-1] != cols)
            or (bias is not None and (not _fits(bias, torch.float32)
                                      or tuple(bias.shape) != (cols,)))):
        return None
    return row_stride, column_stride


def rescale(product: torch.Tensor, x_scale: torch.Tensor, w_scale: torch.Tensor,
            bias: torch.Tensor | None) -> torch.Tensor | None:
    """`float(product) * x_scale * w_scale (+ bias)` for an int32 product `[..., N]`, with
    scales and bias as `_epilogue` takes them."""
    lib = library()
    if lib is None or not _fits(product, torch.int32) or product.dim() == 0:
        return None
    cols = product.shape[-1]
    strides = _epilogue(tuple(product.shape[:-1]), cols, x_scale, w_scale, bias)
    if strides is None:
        return None
    y = torch.empty(product.shape)
    lib.int8_rescale(product.data_ptr(), product.numel() // cols, cols, x_scale.data_ptr(),
                     strides[0], w_scale.data_ptr(), strides[1],
                     None if bias is None else bias.data_ptr(), y.data_ptr(),
                     torch.get_num_threads())
    return y


def scaled_matmul(a: torch.Tensor, b: torch.Tensor, x_scale: torch.Tensor,
                  w_scale: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor | None:
    """`float(a @ b) * x_scale * w_scale (+ bias)` in one kernel, for int8 `a` `[..., K]` and
    a matrix `b` `[K, N]` of any strides (packed once, see `_packed`), with scales and bias
    as `_epilogue` takes them."""
    lib = library()
    if (lib is None or not hasattr(lib, "int8_gemm") or not _fits(a, torch.int8)
            or a.dim() < 2 or b.dim() != 2 or b.dtype != torch.int8 or b.device.type != "cpu"
            or not 0 < a.shape[-1] == b.shape[0] <= GEMM_MAX_DEPTH or a.numel() == 0):
        return None
    k, n = b.shape
    strides = _epilogue(tuple(a.shape[:-1]), n, x_scale, w_scale, bias)
    if strides is None:
        return None
    y = torch.empty(*a.shape[:-1], n)
    failed = lib.int8_gemm(a.data_ptr(), a.numel() // k, k, _packed(lib, b).data_ptr(), n,
                           x_scale.data_ptr(), strides[0], w_scale.data_ptr(), strides[1],
                           None if bias is None else bias.data_ptr(), y.data_ptr(),
                           torch.get_num_threads())
    return None if failed else y


_PACKED: dict[tuple[object, ...], tuple[weakref.ref[torch.Tensor], int, torch.Tensor]] = {}
"""Packed copies of int8 matrices, by the identity of the tensor whose memory they view
and the view's place in it; an entry goes when that tensor does."""


def _packed(lib: ctypes.CDLL, b: torch.Tensor) -> torch.Tensor:
    """`b` in the layout of `int8_gemm`, packed at its first use and again whenever it
    has changed in place (its version counter moved): weights are packed once."""
    owner = b if b._base is None else b._base
    key = (id(owner), b.storage_offset(), tuple(b.shape), b.stride())
    known = _PACKED.get(key)
    if known is not None and known[0]() is owner and known[1] == b._version:
        return known[2]
    k, n = b.shape
    packed = torch.empty(lib.int8_packed_bytes(k, n), dtype=torch.int8)
    lib.int8_pack(b.data_ptr(), k, n, b.stride(0), b.stride(1), packed.data_ptr(),
                  torch.get_num_threads())
    _PACKED[key] = (weakref.ref(owner, lambda _: _PACKED.pop(key, None)), b._version, packed)
    return packed
