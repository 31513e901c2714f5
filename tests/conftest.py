"""Settings for the whole test session, made before any test module is imported.

Triton kernels in tests run under Triton's interpreter on CPU tensors. The interpreter
must be switched on before `triton` is first imported, and some test modules import it
indirectly at collection (PyTorch's OpInfo database), so this is set here, for every
process, rather than in `tests/backends/triton/`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import checkout_shim
import pytest
from hypothesis import settings

os.environ.setdefault("TRITON_INTERPRET", "1")
# Every test, and every mopt/mrun subprocess it starts, runs this checkout's code.
checkout_shim.activate()

# Property tests draw the same examples on every run, so CI on a clean checkout sees what a
# run here saw; `pytest --hypothesis-profile=explore` draws new ones each run, to hunt bugs.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("ci")


@pytest.fixture
def generated_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Empty compile caches, on disk and in memory, as in a new process; the list records
    each generation of a model definition's code by the torch and Triton backends (a test
    that one compiled model serves every length asserts its length)."""
    from mlang.backends.torch import backend as torch_backend
    from mlang.backends.triton import backend as triton_backend
    from mlang.backends.triton import cache as triton_cache

    monkeypatch.setenv("MLANG_CACHE_DIR", str(tmp_path / "cache"))
    torch_backend.forget_compiled()
    triton_cache.forget_loaded()
    made: list[str] = []
    for module in (torch_backend, triton_backend):
        real = module.generate_definition
        monkeypatch.setattr(module, "generate_definition",
                            lambda *a, real=real, **k: made.append("x") or real(*a, **k))
    return made


AOT_ARCHS = (80, 90)
"""The GPU architectures that every kernel of the Triton-backend tests compiles for: Ampere
and Hopper."""


@pytest.fixture(autouse=True)
def gpu_kernels_for_triton(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test parametrized with `backend="triton"`, or marked `gpu_kernels`, runs the kernels
    a GPU runs (its block sizes; block sizes the test sets are kept), interpreted, and each
    is also compiled for `AOT_ARCHS` by Triton's real compiler (the AOT check,
    `backends/triton/aot.py`): what the test checks is what a GPU runs, and a kernel the
    compiler rejects fails it. The interpreter's own block sizes are tested by
    `test_triton_backend.py`, `test_triton_kernels.py` and `test_int8_kernels.py`."""
    callspec = getattr(request.node, "callspec", None)
    triton = callspec is not None and callspec.params.get("backend") == "triton"
    if not (triton or request.node.get_closest_marker("gpu_kernels")):
        yield
        return
    from mlang.backends.triton.aot import aot_check

    with aot_check(AOT_ARCHS):
        yield
