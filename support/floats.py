"""Python floats as the narrower float dtypes of M hold them."""

from __future__ import annotations

from typing import Any

import numpy as np

_NUMPY_TYPES: dict[str, type[np.floating[Any]]] = {"f16": np.float16, "f32": np.float32}


def rounded(x: float, dtype: str) -> float:
    """`x` rounded to a float dtype ("f16", "f32"): beyond its range, an infinity, as in
    torch (`x * 1e39` for an f32 `x`)."""
    numpy_type = _NUMPY_TYPES.get(dtype)
    if numpy_type is None:  # f64 holds every literal, and bf16 packing rounds to infinity
        return x
    with np.errstate(over="ignore"):
        return float(numpy_type(x))
