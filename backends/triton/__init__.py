"""The Triton backend: kernel ops printed as `@triton.jit` functions and host wrappers.

`codegen` prints a module from kernel-level IR (no triton import needed to print);
`device_lib` holds the device functions generated kernels call; `launch` the host-side
helpers their wrappers call; `cache` keeps generated modules on disk by a hash of their
IR; `backend` is the `Backend` that `mrun --backend triton` uses.
"""

from __future__ import annotations

import os
import sys


def interpreting() -> bool:
    """Whether Triton kernels run under its interpreter (`TRITON_INTERPRET=1`)."""
    return os.environ.get("TRITON_INTERPRET", "") not in ("", "0")


def configure(device: str) -> bool:
    """Prepares Triton for `device`, before anything imports triton: on the CPU, or when
    CUDA is absent, kernels run under Triton's interpreter (`TRITON_INTERPRET=1`, also
    honoured when set by the user), with a one-line warning on stderr that this is slow.
    Returns whether they are interpreted."""
    if not interpreting():
        import torch

        if device == "cuda" and torch.cuda.is_available():
            return False
        if "triton" in sys.modules:
            sys.stderr.write("warning: triton was imported before its interpreter could be "
                             "switched on; kernels may fail without a GPU\n")
        os.environ["TRITON_INTERPRET"] = "1"
    sys.stderr.write("warning: Triton kernels run on the CPU under the Triton interpreter, "
                     "which is slow\n")
    return True
