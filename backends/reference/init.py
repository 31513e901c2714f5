"""Parameters of the built-in layers: PyTorch's names, shapes and default initialisation.

`layer_parameters` says what a layer owns; `init_parameter` draws one tensor. Drawing the
parameters of a layer in the listed order from the global generator reproduces, value for
value, the module PyTorch would build after the same `torch.manual_seed`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch

ParameterSpec = tuple[str, tuple[int, ...], str, float]
"""`(suffix, shape, kind, scale)`: for example `("weight", (10, 64), "uniform", 0.125)`."""

INIT_KINDS = ("uniform", "normal", "ones", "zeros")


def init_parameter(
    kind: str, shape: tuple[int, ...], scale: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A new f32 tensor: U(-scale, scale), N(0, scale), ones or zeros (scale unused)."""
    if kind == "uniform":
        return torch.empty(shape).uniform_(-scale, scale, generator=generator)
    if kind == "normal":
        return torch.empty(shape).normal_(0.0, scale, generator=generator)
    if kind == "ones":
        return torch.ones(shape)
    if kind == "zeros":
        return torch.zeros(shape)
    raise ValueError(f"unknown init kind '{kind}'; expected one of {', '.join(INIT_KINDS)}")


def layer_parameters(layer: str, **hyper: object) -> list[ParameterSpec]:
    """The parameters of a built-in layer, in `state_dict` order.

    `layer` is the snake-case or M name (`"layer_norm"` or `"LayerNorm"`); `hyper` holds
    the layer's hyper-parameters by their M names (`in`, `out`, `bias`, `in_ch`, `out_ch`,
    `kernel`, `count`, `dim`, `heads`); others, such as `stride` or `eps`, are ignored.
    """
    key = _ALIASES.get(layer, layer)
    if key not in _LAYERS:
        raise ValueError(f"unknown layer '{layer}'")
    try:
        return _LAYERS[key](hyper)
    except KeyError as err:
        raise ValueError(f"layer '{layer}' needs the hyper-parameter {err}") from None


def _linear(h: Mapping[str, object]) -> list[ParameterSpec]:
    """`Linear(in, out, bias=true)`: weight `[out, in]`, bias `[out]`."""
    fan_in, out = int(h["in"]), int(h["out"])
    return _weight_and_bias((out, fan_in), fan_in, bool(h.get("bias", True)))


def _conv2d(h: Mapping[str, object]) -> list[ParameterSpec]:
    """`Conv2d(in_ch, out_ch, kernel, bias=true)`: weight `[out_ch, in_ch, k, k]`."""
    in_ch, out_ch, k = int(h["in_ch"]), int(h["out_ch"]), int(h["kernel"])
    return _weight_and_bias((out_ch, in_ch, k, k), in_ch * k * k, bool(h.get("bias", True)))


def _embedding(h: Mapping[str, object]) -> list[ParameterSpec]:
    """`Embedding(count, dim)`: weight `[count, dim]` drawn from N(0, 1)."""
    return [("weight", (int(h["count"]), int(h["dim"])), "normal", 1.0)]


def _layer_norm(h: Mapping[str, object]) -> list[ParameterSpec]:
    """`LayerNorm(dim)`: weight of ones, bias of zeros."""
    dim = int(h["dim"])
    return [("weight", (dim,), "ones", 0.0), ("bias", (dim,), "zeros", 0.0)]


def _rms_norm(h: Mapping[str, object]) -> list[ParameterSpec]:
    """`RMSNorm(dim)`: weight of ones."""
    return [("weight", (int(h["dim"]),), "ones", 0.0)]


def _attention(h: Mapping[str, object]) -> list[ParameterSpec]:
    """`Attention(dim, heads)`: four `Linear(dim, dim)` named q, k, v and out."""
    dim = int(h["dim"])
    inner = _linear({"in": dim, "out": dim})
    return [
        (f"{proj}.{suffix}", shape, kind, scale)
        for proj in ("q", "k", "v", "out")
        for suffix, shape, kind, scale in inner
    ]


def _no_parameters(h: Mapping[str, object]) -> list[ParameterSpec]:
    """Dropout, pooling and Flatten own nothing."""
    return []


def _weight_and_bias(
    weight_shape: tuple[int, ...], fan_in: int, bias: bool
) -> list[ParameterSpec]:
    """A Linear or Conv2d weight (kaiming_uniform with a=sqrt(5)) and its optional bias."""
    specs: list[ParameterSpec] = [("weight", weight_shape, "uniform", _kaiming_bound(fan_in))]
    if bias:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        specs.append(("bias", weight_shape[:1], "uniform", bound))
    return specs


def _kaiming_bound(fan_in: int) -> float:
    """The bound of `kaiming_uniform_(a=sqrt(5))`, about `1/sqrt(fan_in)`.

    Computed exactly as torch.nn.init does, so that the bound, and hence every drawn value,
    is bit-for-bit PyTorch's.
    """
    if fan_in == 0:
        return 0.0
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    return math.sqrt(3.0) * (gain / math.sqrt(fan_in))


_LAYERS: dict[str, Callable[[Mapping[str, object]], list[ParameterSpec]]] = {
    "linear": _linear,
    "conv2d": _conv2d,
    "embedding": _embedding,
    "layer_norm": _layer_norm,
    "rms_norm": _rms_norm,
    "attention": _attention,
    "dropout": _no_parameters,
    "max_pool2d": _no_parameters,
    "avg_pool2d": _no_parameters,
    "flatten": _no_parameters,
}

_ALIASES = {
    "Linear": "linear",
    "Conv2d": "conv2d",
    "Embedding": "embedding",
    "LayerNorm": "layer_norm",
    "RMSNorm": "rms_norm",
    "Attention": "attention",
    "Dropout": "dropout",
    "MaxPool2d": "max_pool2d",
    "AvgPool2d": "avg_pool2d",
    "Flatten": "flatten",
}
