"""Parameter names, shapes and initialisation of the built-in layers, against torch.nn."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from torch import nn

from mlang.backends.reference.init import init_parameter
from mlang.frontend.layers import SIGNATURES, layer_params
from mlang.frontend.values import LayerSpec
from mlang.runtime.weights import assign_state_dict
from mlang.support.diagnostics import Loc

ALIASES = {"linear": "Linear", "conv2d": "Conv2d", "embedding": "Embedding",
           "layer_norm": "LayerNorm", "rms_norm": "RMSNorm", "attention": "Attention",
           "dropout": "Dropout", "max_pool2d": "MaxPool2d", "flatten": "Flatten"}


def layer_parameters(layer: str, **hyper: object) -> list[tuple]:
    """The frontend's parameter specs of a layer, its other arguments defaulted."""
    kind = ALIASES.get(layer, layer)
    args = {name: hyper.get(name, None if default is object else default)
            for name, default in SIGNATURES[kind].params}
    spec = LayerSpec(kind, args, "", Loc("test.m", 1, 1))
    return [(p.suffix, p.shape, p.init, p.scale) for p in layer_params(spec)]


def build(layer: str, **hyper: object) -> dict[str, torch.Tensor]:
    """The layer's parameters drawn in order from the global generator, as a runtime would."""
    return {
        suffix: init_parameter(kind, shape, scale)
        for suffix, shape, kind, scale in layer_parameters(layer, **hyper)
    }


TORCH_MODULES = [
    ("linear", {"in": 5, "out": 3}, lambda: nn.Linear(5, 3)),
    ("linear", {"in": 5, "out": 3, "bias": False}, lambda: nn.Linear(5, 3, bias=False)),
    ("Conv2d", {"in_ch": 2, "out_ch": 4, "kernel": 3, "stride": 2}, lambda: nn.Conv2d(2, 4, 3)),
    ("conv2d", {"in_ch": 2, "out_ch": 4, "kernel": 1, "bias": False},
     lambda: nn.Conv2d(2, 4, 1, bias=False)),
    ("embedding", {"count": 7, "dim": 3}, lambda: nn.Embedding(7, 3)),
    ("layer_norm", {"dim": 6, "eps": 1e-5}, lambda: nn.LayerNorm(6)),
    ("RMSNorm", {"dim": 6}, lambda: nn.RMSNorm(6)),
]


@pytest.mark.parametrize(("layer", "hyper", "module"), TORCH_MODULES)
def test_same_seed_gives_torch_parameters_exactly(
    layer: str, hyper: dict[str, object], module: Callable[[], nn.Module]
) -> None:
    torch.manual_seed(42)
    expected = module().state_dict()
    torch.manual_seed(42)
    ours = build(layer, **hyper)
    assert list(ours) == list(expected)
    for name, tensor in expected.items():
        assert torch.equal(ours[name], tensor), name


def test_attention_is_four_linear_layers_in_state_dict_order() -> None:
    class FourLinear(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q, self.k, self.v, self.out = (nn.Linear(8, 8) for _ in range(4))

    torch.manual_seed(3)
    expected = FourLinear().state_dict()
    torch.manual_seed(3)
    ours = build("attention", dim=8, heads=2, causal=True)
    assert list(ours) == list(expected) == [
        "q.weight", "q.bias", "k.weight", "k.bias",
        "v.weight", "v.bias", "out.weight", "out.bias",
    ]
    assert all(torch.equal(ours[n], expected[n]) for n in expected)


@pytest.mark.parametrize("layer", ["dropout", "max_pool2d", "AvgPool2d", "flatten"])
def test_layers_without_parameters(layer: str) -> None:
    assert layer_parameters(layer, p=0.5, kernel=2) == []


def test_linear_bounds_and_statistics() -> None:
    specs = layer_parameters("linear", **{"in": 400, "out": 300})
    assert [(s, shape, kind) for s, shape, kind, _ in specs] == [
        ("weight", (300, 400), "uniform"), ("bias", (300,), "uniform"),
    ]
    weight = init_parameter("uniform", (300, 400), specs[0][3])
    bound = 1 / math.sqrt(400)
    assert specs[0][3] == pytest.approx(bound) and specs[1][3] == pytest.approx(bound)
    assert weight.abs().max() <= bound
    # U(-b, b) has mean 0 and standard deviation b / sqrt(3); 120 000 samples pin both.
    assert abs(weight.mean().item()) < 0.01 * bound
    assert weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def test_conv2d_bound_uses_the_full_fan_in() -> None:
    (_, shape, _, bound), _ = layer_parameters("conv2d", in_ch=3, out_ch=8, kernel=5)
    assert shape == (8, 3, 5, 5)
    assert bound == pytest.approx(1 / math.sqrt(3 * 25))


def test_embedding_is_standard_normal() -> None:
    weight = init_parameter("normal", (500, 200), 1.0)
    assert abs(weight.mean().item()) < 0.01
    assert weight.std().item() == pytest.approx(1.0, rel=0.01)


def test_init_kinds_and_generator() -> None:
    assert init_parameter("ones", (2, 3), 0.0).equal(torch.ones(2, 3))
    assert init_parameter("zeros", (4,), 0.0).equal(torch.zeros(4))
    draws = [init_parameter("normal", (5,), 2.0, torch.Generator().manual_seed(9)) for _ in "ab"]
    assert draws[0].equal(draws[1]) and draws[0].dtype == torch.float32


def test_unknown_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown init kind 'xavier'"):
        init_parameter("xavier", (2,), 1.0)


def test_torch_linear_state_dict_loads_into_the_layer() -> None:
    ours = build("linear", **{"in": 4, "out": 2})
    reference = nn.Linear(4, 2)
    assign_state_dict(ours, reference.state_dict())
    x = torch.randn(3, 4)
    torch.testing.assert_close(x @ ours["weight"].T + ours["bias"], reference(x))
