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

The library is built at first use into `cache_dir("native")`, with OpenMP if the compiler
has it, named by a hash of the source, the compiler, its flags and the instruction sets
that `-march=native` selects (the compiler's predefined macros and the CPU's flags), so that
a cache shared between machines never hands one a library built for another. One process
builds while the others wait on a file lock; a failed build is remembered beside it (a
`.failed.json` with the compiler's message), so that later processes do not build again.
`$CC` chooses the compiler (default `cc`); `MLANG_NATIVE=0` turns the kernels off, and
`MLANG_NATIVE=1` asks for them: where they are not in use, why is printed once per process
on standard error.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch

from mlang.backends.common.cache import cache_dir, write_atomically

SOURCE = Path(__file__).with_name("int8_native.c")
FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-shared", "-fPIC")
"""`-ffp-contract=off`: no fused multiply-adds, which would round once where eager rounds
twice. `-march=native` is why the instruction sets are part of the library's name."""
OPENMP = ("-fopenmp",)
BUILD_SECONDS = 120
PROBE_SECONDS = 20
"""How long asking the compiler for its predefined macros may take."""
MESSAGE_CHARS = 4000
"""How much of a failed build's message is remembered (its end)."""

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


NATIVE_CACHE = "native"
"""The folder of `cache_dir` that holds built libraries and remembered failures."""


class BuildError(Exception):
    """Why the library is not at hand."""


@dataclass(frozen=True)
class Availability:
    """The library, or why there is none."""

    lib: ctypes.CDLL | None
    reason: str
    """Why `lib` is None: empty where it is not, or where the kernels are turned off."""


def library() -> ctypes.CDLL | None:
    """The compiled kernels, built at first use; None when they are off or cannot be built."""
    return availability().lib


@cache
def availability() -> Availability:
    """The library, looked up (and built) once per process; where it is missing and the
    user asked for it (`MLANG_NATIVE=1`), the reason is printed on standard error."""
    if os.environ.get("MLANG_NATIVE") == "0":
        return Availability(None, "")
    try:
        found = Availability(_loaded(), "")
    except BuildError as err:
        found = Availability(None, str(err))
    if found.lib is None and os.environ.get("MLANG_NATIVE") == "1":
        print(f"mlang: the int8 C kernels are not in use: {found.reason}", file=sys.stderr)
    return found


def _loaded() -> ctypes.CDLL:
    """The library with OpenMP where that builds, else without; raises `BuildError`."""
    name = os.environ.get("CC", "cc")
    compiler = shutil.which(name)
    if compiler is None:
        raise BuildError(f"no C compiler: '{name}' is not on the PATH (set $CC)")
    try:
        path = _built(compiler, OPENMP)
    except BuildError:
        path = _built(compiler, ())
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as err:
        path.unlink(missing_ok=True)  # damaged: the next process builds it again
        raise BuildError(f"cannot load {path}: {err}") from err
    signatures = _SIGNATURES | (_GEMM_SIGNATURES if hasattr(lib, "int8_gemm") else {})
    for function, (argtypes, restype) in signatures.items():
        getattr(lib, function).argtypes = argtypes
        getattr(lib, function).restype = restype
    return lib


def _built(compiler: str, extra: tuple[str, ...]) -> Path:
    """The library built with `extra` flags: from the cache, or compiled now by this
    process alone (under a lock); raises `BuildError` where it does not build, now or
    in an earlier process."""
    folder = cache_dir(NATIVE_CACHE)
    stem = f"int8-native-{_key(compiler, extra)}"
    path, failure = folder / f"{stem}.so", folder / f"{stem}.failed.json"
    try:
        if not path.is_file() and not failure.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            with _locked(folder / f"{stem}.lock"):
                if not path.is_file() and not failure.is_file():  # nobody built it meanwhile
                    _compile([compiler, *FLAGS, *extra, str(SOURCE)], path, failure)
    except OSError as err:
        raise BuildError(f"cannot write the cache {folder}: {err}") from err
    if failure.is_file():
        raise BuildError(_failure_reason(failure))
    return path


def _key(compiler: str, extra: tuple[str, ...]) -> str:
    """The library's name: a hash of the source, the compiler and its flags, and the
    instruction sets they target on this machine."""
    key = hashlib.sha256(SOURCE.read_bytes())
    for part in (compiler, *FLAGS, *extra, platform.machine(), _cpu_flags(),
                 _predefined_macros([compiler, *FLAGS, *extra])):
        key.update(part.encode() + b"\0")
    return key.hexdigest()[:32]


def _predefined_macros(command: list[str]) -> str:
    """The macros that `command` predefines: the compiler's version and the instruction
    sets it targets (`__AVX512VNNI__`, ...), which `-march=native` decides; '' where the
    compiler does not say."""
    try:
        done = subprocess.run([*command, "-dM", "-E", "-x", "c", os.devnull],
                              capture_output=True, text=True, timeout=PROBE_SECONDS,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _cpu_flags() -> str:
    """The instruction-set flags of this CPU where the OS lists them (Linux), else ''."""
    try:
        with open("/proc/cpuinfo") as info:
            return next((line for line in info if line.startswith("flags")), "")
    except OSError:
        return ""


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Holds an exclusive lock on the file `path` (created where missing)."""
    with open(path, "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # released when the file closes
        yield


def _compile(command: list[str], path: Path, failure: Path) -> None:
    """Runs `command` to build `path` (through a temporary file and a rename); where it
    fails, records why in `failure`."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".so")
    os.close(fd)
    try:
        done = subprocess.run([*command, "-o", temporary], capture_output=True, text=True,
                              timeout=BUILD_SECONDS, check=False)
        message, status = done.stderr, done.returncode
    except subprocess.TimeoutExpired:
        message, status = f"timed out after {BUILD_SECONDS} s", None
    except (OSError, subprocess.SubprocessError) as err:
        message, status = str(err), None
    if status == 0:
        os.replace(temporary, path)
        return
    os.unlink(temporary)
    record = {"command": command, "status": status, "message": message[-MESSAGE_CHARS:]}
    write_atomically(failure, json.dumps(record, indent=1).encode())


def _failure_reason(failure: Path) -> str:
    """What a remembered failure says, and how to try again."""
    try:
        record = json.loads(failure.read_text())
        said = (f"{shlex.join(record['command'])} failed (status {record['status']}):\n"
                f"{record['message'].rstrip()}")
    except (OSError, ValueError, KeyError, TypeError):
        said = "an earlier build failed"
    return f"{said}\n(remembered in {failure}; remove it to build again)"


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


_PACKED: dict[tuple[int, ...], tuple[weakref.ref[torch.UntypedStorage], int, torch.Tensor]] = {}
"""Packed copies of int8 matrices, by the memory they view (their storage's address and
their place in it); an entry goes when that storage does."""


def _packed(lib: ctypes.CDLL, b: torch.Tensor) -> torch.Tensor:
    """`b` in the layout of `int8_gemm`, packed at its first use and again whenever it
    has changed in place: weights are packed once.

    In-place changes are seen by the tensor's version counter (`_version`), which every
    in-place operation on a storage's tensors and views moves; PyTorch has no public name
    for it (autograd reads it to refuse a modified saved tensor)."""
    storage = b.untyped_storage()  # one Python object per storage, for as long as it lives
    key = (storage.data_ptr(), b.storage_offset(), *b.shape, *b.stride())
    known = _PACKED.get(key)
    if known is not None and known[0]() is storage and known[1] == b._version:
        return known[2]
    k, n = b.shape
    packed = torch.empty(lib.int8_packed_bytes(k, n), dtype=torch.int8)
    lib.int8_pack(b.data_ptr(), k, n, b.stride(0), b.stride(1), packed.data_ptr(),
                  torch.get_num_threads())
    _PACKED[key] = (weakref.ref(storage, lambda _: _PACKED.pop(key, None)), b._version, packed)
    return packed
