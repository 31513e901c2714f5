"""mlang.backends.torch: the PyTorch backend.

`codegen` prints tensorops functions as Python calling torch and caches the result by IR;
`backend` is the `Backend`: it lowers a `model.def` with `lower-to-tensor`, generates and
loads its methods, and caches them by the model-level IR (`mopt -t torch` prints them).
"""
