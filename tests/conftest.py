"""Settings for the whole test session, made before any test module is imported.

Triton kernels in tests run under Triton's interpreter on CPU tensors. The interpreter
must be switched on before `triton` is first imported, and some test modules import it
indirectly at collection (PyTorch's OpInfo database), so this is set here, for every
process, rather than in `tests/backends/triton/`.
"""

from __future__ import annotations

import os

import checkout_shim

os.environ.setdefault("TRITON_INTERPRET", "1")
# Every test, and every mopt/mrun subprocess it starts, runs this checkout's code.
checkout_shim.activate()
