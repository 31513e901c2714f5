"""The Triton backend: kernel ops printed as `@triton.jit` functions and host wrappers.

`codegen` prints a module from kernel-level IR (no triton import needed to print);
`device_lib` holds the device functions generated kernels call; `launch` the host-side
helpers their wrappers call; `cache` keeps generated modules on disk by a hash of their
IR; `backend` is the `Backend` that `mrun --backend triton` uses.
"""
