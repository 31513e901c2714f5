"""How the `print` built-in shows values."""

from __future__ import annotations

import sys

import numpy as np
import torch

from tokenizers import Tokenizer

from mlang.runtime.datasets import Column, Dataset
from mlang.runtime.model import ModelInstance


def format_value(value: object, full: bool = False) -> str:
    """The text `print` writes for one value, following section 8 of the language; `full`
    shows every number of a tensor, where a large one is elided by default."""
    # bool before int: True is an int in Python but prints as `true` in M.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "%.6g" % value
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    if isinstance(value, torch.Tensor):
        return _format_tensor(value, full)
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v, full) for v in value) + "]"
    if isinstance(value, tuple):
        return _format_tuple(value, full)
    if isinstance(value, Dataset):
        return f"<dataset rows={len(value)} features={value.features}>"
    if isinstance(value, dict):  # a record: named tensors
        return "{" + ", ".join(f"{k}: {_format_tensor(v, full)}" for k, v in value.items()) + "}"
    if isinstance(value, Column):
        shown = value.numbers[:5].tolist() if value.text is None else \
            value.text.slice(0, 5).to_pylist()
        return f"<column {value.name} rows={len(value)}: " + format_value(shown) + \
            (" ...>" if len(value) > 5 else ">")
    if isinstance(value, Tokenizer):
        return f"<tokenizer vocab={value.get_vocab_size()}>"
    if isinstance(value, ModelInstance):
        return _format_model(value)
    return str(value)


def _format_tensor(tensor: torch.Tensor, full: bool) -> str:
    """A tensor as NumPy prints it (eliding over 1000 numbers unless `full`); bf16, which
    NumPy lacks, is shown as f32."""
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.float()
    if not full:
        return str(tensor.numpy())
    with np.printoptions(threshold=sys.maxsize):
        return str(tensor.numpy())


def _format_model(model: ModelInstance) -> str:
    """A model as its name and parameter count (and int8 mode), never its Python repr."""
    quantized = f" int8={model.quantization}" if model.quantization is not None else ""
    return f"<model {model.name} params={model.parameter_count()}{quantized}>"


def _format_tuple(values: tuple[object, ...], full: bool) -> str:
    """`(a, b)`, and `(a,)` for one element, as Python writes tuples."""
    inner = ", ".join(format_value(v, full) for v in values)
    return f"({inner},)" if len(values) == 1 else f"({inner})"
