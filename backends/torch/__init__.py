"""mlang.backends.torch: the PyTorch backend.

`codegen` prints tensorops functions as a Python module calling torch (after
`select-torch-calls` chose the calls; `function` prints one function, `emitter` one op,
`context` keeps the names) and caches the result by IR; `backend` is the `Backend`: it
lowers a `model.def` with `lower-to-tensor`, selects calls, generates and loads its
methods, and caches them by the model-level IR (`mopt -t torch` prints them).
"""
