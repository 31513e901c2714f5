"""The layers of M 0.2 (Conv1d, Conv2d groups/dilation/"same", BatchNorm1d/2d, GroupNorm,
AdaptiveAvgPool2d, Identity, LayerNorm without bias) against `torch.nn` on every backend.

Each case is a one-layer model and the `torch.nn` module it stands for: after the same
seed both hold the same parameters, bit for bit, under the same names; with trained-looking
statistics and affine parameters set in both, outputs agree to 1e-5 in evaluation and in
training mode, where the batch norms' running statistics and batch counts must move as
PyTorch's do.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from torch import nn

from mlang.backends import get_backend
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
from mlang.runtime import datasets, model_io, training
from mlang.runtime.model import ModelInstance

BACKENDS = ("reference", "torch", "triton")


@dataclass(frozen=True)
class Case:
    """A layer written in M, its `torch.nn` twin and an input shape."""

    id: str
    layer: str
    module: Callable[[], nn.Module]
    shape: tuple[int, ...]

    def source(self) -> str:
        """A model whose forward applies the layer."""
        dims = ", ".join("?" for _ in self.shape)
        ids = "Embedding" in self.layer
        out = f"{dims}, ?" if ids else dims
        return (f"model M() {{\n    l = {self.layer}\n"
                f"    fn forward(x: {'i64' if ids else 'f32'}[{dims}]) -> f32[{out}] {{\n"
                "        return l(x)\n    }\n}\n")


CASES = [
    Case("conv1d_groups", "Conv1d(4, 6, 3, stride=2, padding=1, groups=2)",
         lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 9)),
    Case("conv1d_same_even", 'Conv1d(4, 4, 4, padding="same", dilation=3)',
         lambda: nn.Conv1d(4, 4, 4, padding="same", dilation=3), (2, 4, 11)),
    Case("conv2d_groups_dilation", "Conv2d(4, 6, 3, padding=2, groups=2, dilation=2)",
         lambda: nn.Conv2d(4, 6, 3, padding=2, groups=2, dilation=2), (2, 4, 9, 8)),
    Case("conv2d_same_even", 'Conv2d(3, 4, 2, padding="same", bias=false)',
         lambda: nn.Conv2d(3, 4, 2, padding="same", bias=False), (2, 3, 7, 6)),
    Case("conv2d_depthwise", "Conv2d(4, 4, 3, stride=2, groups=4)",
         lambda: nn.Conv2d(4, 4, 3, stride=2, groups=4), (2, 4, 9, 9)),
    Case("batchnorm1d_2d", "BatchNorm1d(5)", lambda: nn.BatchNorm1d(5), (6, 5)),
    Case("batchnorm1d_3d", "BatchNorm1d(5, eps=0.001, momentum=0.3)",
         lambda: nn.BatchNorm1d(5, eps=0.001, momentum=0.3), (4, 5, 7)),
    Case("batchnorm2d", "BatchNorm2d(3)", lambda: nn.BatchNorm2d(3), (4, 3, 5, 5)),
    Case("groupnorm_4d", "GroupNorm(2, 6)", lambda: nn.GroupNorm(2, 6), (3, 6, 4, 4)),
    Case("groupnorm_3d", "GroupNorm(3, 6, eps=0.0001)", lambda: nn.GroupNorm(3, 6, eps=1e-4),
         (3, 6, 5)),
    Case("adaptive_pool_1", "AdaptiveAvgPool2d(1)", lambda: nn.AdaptiveAvgPool2d(1),
         (2, 3, 5, 5)),
    Case("adaptive_pool_divides", "AdaptiveAvgPool2d(2)", lambda: nn.AdaptiveAvgPool2d(2),
         (2, 3, 6, 6)),
    Case("adaptive_pool_uneven", "AdaptiveAvgPool2d(3)", lambda: nn.AdaptiveAvgPool2d(3),
         (2, 3, 7, 5)),
    Case("maxpool_padded", "MaxPool2d(3, stride=2, padding=1)",
         lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 8, 7)),
    Case("avgpool_padded", "AvgPool2d(2, padding=1)", lambda: nn.AvgPool2d(2, padding=1),
         (2, 3, 5, 6)),
    Case("embedding_padding_idx", "Embedding(7, 3, padding_idx=-2)",
         lambda: nn.Embedding(7, 3, padding_idx=-2), (2, 4)),
    Case("identity", "Identity()", nn.Identity, (2, 3)),
    Case("layernorm_no_bias", "LayerNorm(5, bias=false)", lambda: nn.LayerNorm(5, bias=False),
         (2, 3, 5)),
]


class Field(nn.Module):
    """A module whose one field is `l`, as the M model's (state dict names `l.weight`)."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.l = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l(x)


def definition(case: Case, shape: tuple[int, ...]) -> DefOp:
    """The specialised `model.def` of the case's model (static input sizes, as the
    uneven adaptive pool needs)."""
    dims = ", ".join(str(n) for n in shape)
    source = case.source().replace(f"[{', '.join('?' for _ in shape)}]", f"[{dims}]", 1)
    module = compile_source(source + "let m = M()\n", "test.m")
    return next(op for op in module.ops if isinstance(op, DefOp))


def trained_looking(module: nn.Module) -> None:
    """Affine parameters and running statistics away from their initial values."""
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if name.endswith(("running_var", "weight")) and t.dim() == 1:
                t.copy_(torch.rand(t.shape, generator=generator) + 0.5)
            elif name.endswith(("running_mean", "bias")):
                t.copy_(torch.randn(t.shape, generator=generator))
            elif name.endswith("num_batches_tracked"):
                t.fill_(12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_layer_matches_torch_nn(case: Case, backend: str) -> None:
    torch.manual_seed(3)
    module = Field(case.module())
    torch.manual_seed(3)
    d = definition(case, case.shape)
    model = ModelInstance.create(d, get_backend(backend).compile(d), "cpu")
    expected = module.state_dict()
    assert list(model.params) == list(expected)
    for name, t in expected.items():
        assert model.params[name].dtype == t.dtype
        assert torch.equal(model.params[name], t), name  # PyTorch's initialisation
    trained_looking(module)
    for name, t in module.state_dict().items():
        model.params[name].copy_(t)
    generator = torch.Generator().manual_seed(1)
    x = torch.randint(0, 7, case.shape, generator=generator) if "Embedding" in case.layer \
        else torch.randn(case.shape, generator=generator)
    for train_mode in (False, True, False):
        module.train(train_mode)
        want = module(x)
        (got,) = model.call("forward", [x], train_mode)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
        for name, t in module.state_dict().items():
            torch.testing.assert_close(model.params[name], t, rtol=1e-6, atol=1e-6)
    if any(name.endswith("running_mean") for name in expected):
        assert model.params["l.num_batches_tracked"].item() == 13


def test_batch_norm_buffers_are_saved_but_not_trained() -> None:
    """`fit` trains weight and bias; the running statistics move only by momentum."""
    source = ("model M() {\n    bn = BatchNorm1d(3)\n    fc = Linear(3, 2)\n"
              "    fn forward(x: f32[N, 3]) -> f32[N, 2] {\n        return fc(bn(x))\n"
              "    }\n}\nlet m = M()\n")
    d = next(op for op in compile_source(source, "t.m").ops if isinstance(op, DefOp))
    model = ModelInstance.create(d, get_backend("torch").compile(d), "cpu")
    assert d.buffers == {"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}
    assert set(model.parameters()) == {"bn.weight", "bn.bias", "fc.weight", "fc.bias"}
    assert model.parameter_count() == 3 + 3 + 6 + 2
    assert set(model.state()) == set(model.params)


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_fit_updates_running_statistics_as_pytorch(backend: str, tmp_path: Path) -> None:
    """Full-batch SGD for two epochs: weights and running statistics as PyTorch's after the
    same steps; evaluation uses the running statistics; `save`/`load_model` keep them."""
    source = ("model M() {\n    bn = BatchNorm1d(4)\n    fc = Linear(4, 3)\n"
              "    fn forward(x: f32[N, 4]) -> f32[N, 3] {\n        return fc(bn(x))\n"
              "    }\n}\nlet m = M()\n")
    d = next(op for op in compile_source(source, "t.m").ops if isinstance(op, DefOp))
    compiled = get_backend(backend)
    torch.manual_seed(0)
    model = ModelInstance.create(d, compiled.compile(d), "cpu")
    torch.manual_seed(0)
    twin = nn.Sequential(OrderedDict(bn=nn.BatchNorm1d(4), fc=nn.Linear(4, 3)))
    data = datasets.builtin_dataset("iris").slice(0, 30)
    training.fit(model, data, optimizer="sgd", lr=0.1, epochs=2, batch=30)
    optim = torch.optim.SGD(twin.parameters(), lr=0.1)
    for _ in range(2):
        optim.zero_grad()
        nn.functional.cross_entropy(twin(data.x), data.y).backward()
        optim.step()
    for name, t in twin.state_dict().items():
        torch.testing.assert_close(model.params[name], t, rtol=1e-5, atol=1e-6)
    assert model.params["bn.num_batches_tracked"].item() == 2
    twin.eval()
    (got,) = model.call("forward", [data.x])
    torch.testing.assert_close(got, twin(data.x), rtol=1e-5, atol=1e-5)
    path = str(tmp_path / "m.mpk")
    model_io.save_model(model, path)
    loaded = model_io.load_model(path, compiled, "cpu")
    for name, t in model.params.items():
        assert torch.equal(loaded.params[name], t), name


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_embedding_padding_row_takes_no_gradient(backend: str) -> None:
    """The row at `padding_idx` starts at zero and gets no gradient; the others do."""
    source = ("model M() {\n    e = Embedding(5, 3, padding_idx=1)\n"
              "    fn forward(x: i64[N, T]) -> f32[N, T, 3] {\n        return e(x)\n"
              "    }\n}\nlet m = M()\n")
    d = next(op for op in compile_source(source, "t.m").ops if isinstance(op, DefOp))
    model = ModelInstance.create(d, get_backend(backend).compile(d), "cpu")
    weight = model.params["e.weight"]
    assert torch.equal(weight[1], torch.zeros(3))
    with torch.no_grad():
        weight[1] = 2.0  # a loaded checkpoint's padding row is read as it is
    weight.requires_grad_(True)
    (out,) = model.call("forward", [torch.tensor([[1, 2, 1], [0, 1, 2]])], True)
    assert torch.equal(out[0, 0], torch.full((3,), 2.0))
    out.sum().backward()
    assert weight.grad is not None
    torch.testing.assert_close(weight.grad[:3], torch.tensor([[1.0] * 3, [0.0] * 3, [2.0] * 3]))
