"""The ahead-of-time check of Triton kernels (`mrun --backend triton --aot-check sm_80,sm_90`).

The Triton interpreter accepts kernels that Triton's compiler rejects (a float16 `tl.dot`
with K = 8, say), so running kernels on the CPU proves little about a GPU. Under
`aot_check(archs)` the backend picks the block sizes a GPU run picks (`gpu_blocks()`:
plain O2, not `choose-block-sizes{interpreter=true}`), the interpreter runs those kernels,
and every distinct kernel it launches (its function, the Triton types of its arguments,
its constexprs and warps) is compiled to cubin for each named architecture with Triton's
real compiler, which needs no GPU (its ptxas is bundled).

Compilation runs in one worker process (`python -m mlang.backends.triton.aot`), started by
the first check and kept for the later ones of the same process, which imports the
generated modules with the interpreter off, so `@triton.jit` gives real `JITFunction`s. Results are kept on disk (`cache_dir("triton-aot")`), keyed by the
kernel's source (its name left out) with the device functions, its signature, constexprs,
warps, the architecture and the Triton version, so identical kernels (the layers of a
`repeat` stack, the same layer in two programs) are compiled once.

A kernel that fails to compile is an error at the statement whose launch ran it
(`kernel NAME failed to compile for sm_80: MESSAGE`), on every architecture, except where
a declared rule (`fallbacks.ARCH_FALLBACKS`, which the generated module lists for its
kernels as `ARCH_FALLBACKS`) says that GPUs below some architecture run the kernel
through PyTorch: int8 `tl.dot`, which Triton cannot lower before sm_80. Such a failure
is listed as a fallback, with a note on standard error, and is what a real sm_75 run
does (`launch.falls_back`). Any other failure on sm_75 is an error: nothing would
catch it on such a GPU.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import select
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

from mlang.backends.common.cache import cache_dir
from mlang.support.diagnostics import UserError

COMPILE_TIMEOUT = 300
"""Seconds one kernel may take to compile before it counts as failed (a hang)."""
FALLBACK = "PyTorch"
"""What a kernel that an old architecture cannot compile runs through instead."""
_ARCH = re.compile(r"sm_(\d+)")
_DTYPES = {
    "float16": "fp16", "bfloat16": "bf16", "float32": "fp32", "float64": "fp64",
    "bool": "i1", "int8": "i8", "uint8": "u8", "int16": "i16", "int32": "i32",
    "int64": "i64",
}
"""Triton's names of torch element types (`torch.float32` -> `fp32`)."""


def parse_archs(text: str) -> tuple[int, ...]:
    """`sm_80,sm_90` as `(80, 90)`; anything else is a user error."""
    archs = []
    for part in text.split(","):
        match = _ARCH.fullmatch(part.strip())
        if match is None:
            raise UserError(f"--aot-check expects architectures such as 'sm_80,sm_90', "
                            f"got '{part.strip()}'")
        archs.append(int(match.group(1)))
    return tuple(dict.fromkeys(archs))


@dataclass(frozen=True)
class Launch:
    """One distinct kernel launch: what a compile of it depends on."""

    path: str
    """The generated module that defines the kernel."""
    name: str
    signature: tuple[tuple[str, str], ...]
    """Each runtime argument's Triton type (`*fp32`, `i32`, ...), in order."""
    constexprs: tuple[tuple[str, int | float | bool], ...]
    num_warps: int
    code: str
    """A hash of the kernel's source with its name left out, and of the device functions:
    the layers of a `repeat` stack print the same kernel under several names."""
    fallback_below: int | None = None
    """The architecture below which the kernel runs through PyTorch (a declared rule)."""

    def key(self, arch: int) -> str:
        """The key of this launch compiled for `arch`, on disk and within a run."""
        import triton

        text = json.dumps([self.code, self.signature, self.constexprs, self.num_warps, arch,
                           triton.__version__])
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Fallback:
    """A kernel that an old architecture cannot compile, and runs through `FALLBACK`."""

    name: str
    arch: int
    message: str


@dataclass
class AotCheck:
    """The architectures checked, and what the check found so far."""

    archs: tuple[int, ...]
    compiled: dict[str, Launch] = field(default_factory=dict[str, Launch])
    """The launches compiled (or found compiled), by key."""
    fallbacks: list[Fallback] = field(default_factory=list[Fallback])

    def launched(self, function: Any, args: Sequence[object],
                 kwargs: Mapping[str, object]) -> None:
        """Compiles a kernel the interpreter is about to run, once per architecture."""
        launch = describe(function, args, kwargs)
        for arch in self.archs:
            key = launch.key(arch)
            if key in self.compiled:
                continue
            self.compiled[key] = launch
            message = self._compile(launch, arch, key)
            if message is None:
                continue
            if launch.fallback_below is None or arch >= launch.fallback_below:
                raise UserError(f"kernel {launch.name} failed to compile for sm_{arch}: {message}")
            self.fallbacks.append(Fallback(launch.name, arch, message))
            sys.stderr.write(f"note: kernel {launch.name} does not compile for sm_{arch} "
                             f"({message}); on sm_{arch} it runs through {FALLBACK}\n")

    def _compile(self, launch: Launch, arch: int, key: str) -> str | None:
        """Triton's message where `launch` fails to compile for `arch`, else None; through
        the disk cache (by `key`)."""
        entry = cache_dir("triton-aot") / f"{key}.json"
        try:
            cached = json.loads(entry.read_text())["error"]
            return None if cached is None else str(cached)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not compiled yet, or an unreadable entry: compile again
        worker = _worker()
        error = worker.compile(launch, arch)
        if not worker.alive():
            return error  # a timeout, which a less busy machine may not repeat: not cached
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            entry.write_text(json.dumps({"error": error}))
        except OSError:
            pass  # an unwritable cache only costs time
        return error



_active: AotCheck | None = None


def gpu_blocks() -> bool:
    """Whether kernels are to get a GPU's block sizes though interpreted (an AOT check)."""
    return _active is not None


@contextmanager
def aot_check(archs: Sequence[int]) -> Iterator[AotCheck]:
    """Within the block, every kernel the Triton interpreter launches is also compiled for
    each of `archs` (a failure raises `UserError`), and kernels get a GPU's block sizes."""
    global _active
    from triton.runtime.interpreter import InterpretedFunction

    check = AotCheck(tuple(archs))
    run = InterpretedFunction.run

    def checked_run(self: InterpretedFunction[Any], *args: object, grid: object,
                    warmup: bool, **kwargs: object) -> object:
        if not warmup:
            check.launched(self, args, kwargs)
        return run(self, *args, grid=grid, warmup=warmup, **kwargs)

    InterpretedFunction.run = checked_run  # the launch hook
    outer, _active = _active, check
    try:
        yield check
    finally:
        InterpretedFunction.run = run
        _active = outer  # a check within another (a test's, and mrun's) leaves it on


def describe(function: Any, args: Sequence[object], kwargs: Mapping[str, object]) -> Launch:
    """The launch of an interpreted kernel `function` with these arguments."""
    import inspect

    import torch

    fn = function.fn
    values = dict(zip(function.arg_names, args)) | {
        k: v for k, v in kwargs.items() if k in function.arg_names}
    signature, constexprs = [], []
    for name, param in inspect.signature(fn).parameters.items():
        value = values[name]
        if "constexpr" in str(param.annotation):
            assert isinstance(value, (int, float, bool))
            constexprs.append((name, value))
        elif isinstance(value, torch.Tensor):
            signature.append((name, "*" + _DTYPES[str(value.dtype).removeprefix("torch.")]))
        else:
            signature.append((name, _scalar_type(value)))
    warps = kwargs.get("num_warps", 4)
    assert isinstance(warps, int)
    below = fn.__globals__.get("ARCH_FALLBACKS", {}).get(fn.__name__)
    return Launch(inspect.getfile(fn), fn.__name__, tuple(signature), tuple(constexprs), warps,
                  _code_hash(fn), below)


@cache
def _code_hash(fn: Any) -> str:
    """A hash of a kernel's source, its name replaced, and of the device functions."""
    import inspect

    from mlang.backends.triton import device_lib

    source = inspect.getsource(fn).replace(fn.__name__, "KERNEL")
    digest = hashlib.sha256(source.encode())
    digest.update(Path(device_lib.__file__).read_bytes())
    return digest.hexdigest()


def _scalar_type(value: object) -> str:
    """The Triton type of a scalar kernel argument."""
    if isinstance(value, bool):
        return "i1"
    if isinstance(value, float):
        return "fp32"
    if isinstance(value, int):
        return "i32" if -(2**31) <= value < 2**31 else "i64"
    raise TypeError(f"unexpected kernel argument {value!r}")


_live_worker: _Worker | None = None


def _worker() -> _Worker:
    """The compiler process, started on first use and kept for later checks in this
    process (starting one, which imports Triton and PyTorch, costs about a second)."""
    global _live_worker
    cache = cache_dir("triton-aot")
    # A new one where the last was killed (a hang), or where MLANG_CACHE_DIR changed (Triton's
    # own cache follows it).
    if _live_worker is None or not _live_worker.alive() or _live_worker.cache != cache:
        if _live_worker is not None:
            _live_worker.close()
        _live_worker = _Worker(cache)
        atexit.register(_live_worker.close)
    return _live_worker


class _Worker:
    """The compiler process: one JSON request a line in, one JSON answer a line out."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        """The folder of compile results; Triton's own cache is under it."""
        env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env.setdefault("TRITON_DEFAULT_FP_FUSION", "1")  # the default; set to be quiet
        env["TRITON_CACHE_DIR"] = str(cache / "triton")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "mlang.backends.triton.aot"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)

    def compile(self, launch: Launch, arch: int) -> str | None:
        """Triton's message where `launch` fails to compile for `arch`, else None."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        request = {"path": launch.path, "name": launch.name, "signature": launch.signature,
                   "constexprs": launch.constexprs, "num_warps": launch.num_warps, "arch": arch}
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        if not select.select([stdout], [], [], COMPILE_TIMEOUT)[0]:
            self._process.kill()
            self._process.wait()  # reaped, so that `alive()` is false from now on
            return f"the compiler did not finish in {COMPILE_TIMEOUT} s"
        answer = stdout.readline()
        if not answer:
            raise UserError(f"the Triton compiler process died compiling kernel {launch.name}")
        error = json.loads(answer)["error"]
        return None if error is None else str(error)

    def alive(self) -> bool:
        """Whether the process still runs (a compile that hung was killed)."""
        return self._process.poll() is None

    def close(self) -> None:
        """Ends the worker: end of input, then wait."""
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()
        self._process.wait()


# ------------------------------------------------------------------------- the worker


def _serve(requests: IO[str], answers: IO[str]) -> None:
    """Answers compile requests until the end of input (in the worker process)."""
    modules: dict[str, Any] = {}
    for line in requests:
        request = json.loads(line)
        answers.write(json.dumps({"error": _compile_request(request, modules)}) + "\n")
        answers.flush()


def _compile_request(request: dict[str, Any], modules: dict[str, Any]) -> str | None:
    """Compiles one requested kernel; Triton's message on failure, else None."""
    import triton
    from triton.backends.compiler import GPUTarget

    path = request["path"]
    if path not in modules:
        modules[path] = _load(path, f"mlang_aot_{len(modules)}")
    function = getattr(modules[path], request["name"])
    signature = dict(request["signature"]) | {n: "constexpr" for n, _ in request["constexprs"]}
    source = triton.compiler.ASTSource(function, signature, dict(request["constexprs"]))
    try:
        triton.compile(source, target=GPUTarget("cuda", request["arch"], 32),
                       options={"num_warps": request["num_warps"]})
    except Exception as err:  # noqa: BLE001 - any compiler failure is the answer
        return _message(err)
    return None


def _load(path: str, name: str) -> Any:
    """The generated module at `path`, executed with the interpreter off."""
    from types import ModuleType

    module = ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    exec(compile(Path(path).read_text(), path, "exec"), module.__dict__)
    return module


def _message(err: Exception) -> str:
    """A one-line compiler message: a `CompilationError`'s last line (the rest quotes the
    source), else the exception's first line."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if not lines:
        return type(err).__name__
    return lines[-1] if type(err).__name__ == "CompilationError" else lines[0]


if __name__ == "__main__":
    _serve(sys.stdin, sys.stdout)
