"""The fused int8 kernels (`backends/torch/native.py`, `int8_native.c`) against the reference
int8 arithmetic and against the eager fallback of `kernels.py`: equal bit for bit, on
rows of zeros, infinities and NaNs too, with one scale per row or one in all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from mlang.backends.reference import quantization as Q
from mlang.backends.torch import kernels, native


@pytest.fixture
def compiled() -> None:
    """The kernels must build wherever a C compiler is (CI has one)."""
    if native.library() is None:
        pytest.skip("no C compiler: the eager fallback is what runs")


def activations(rows: int, cols: int) -> torch.Tensor:
    """Random rows with a row of zeros, one of -0.0 and 0.0, one with inf and one with NaN."""
    torch.manual_seed(rows * 1000 + cols)
    x = torch.randn(rows, cols) * torch.logspace(-3, 3, rows)[:, None]
    x[1] = 0.0
    x[2, ::2] = -0.0
    x[3, 1] = float("inf")
    x[4, 0] = float("nan")
    return x


@pytest.mark.parametrize("shape", [(8, 64), (2, 4, 33), (5, 3072)])
def test_row_scales_and_quantize_equal_the_reference(compiled: None,
                                                     shape: tuple[int, ...]) -> None:
    x = activations(shape[0] * (shape[1] if len(shape) == 3 else 1), shape[-1]).reshape(shape)
    scales = kernels.int8_row_scale(x, -1)
    assert torch.equal(scales, Q.scales_for(x.abs().amax(dim=-1, keepdim=True)))
    finite = torch.isfinite(x).all(dim=-1)  # int8 of NaN is not defined
    q = kernels.int8_quantize(x, scales)
    assert torch.equal(q[finite], Q.quantize(x, scales)[finite])
    static = torch.tensor(0.05)
    assert torch.equal(kernels.int8_quantize(x, static)[finite],
                       Q.quantize(x, static)[finite])


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("column", ["per column", "one in all"])
def test_rescale_equals_eager(compiled: None, bias: bool, column: str) -> None:
    torch.manual_seed(1)
    xq = torch.randint(-127, 128, (2, 6, 40), dtype=torch.int8)
    w = torch.randint(-127, 128, (40, 24), dtype=torch.int8)
    x_scale = torch.rand(2, 6, 1) / 100
    w_scale = torch.rand(1, 24) / 100 if column == "per column" else torch.tensor(0.003)
    b = torch.randn(24) if bias else None
    product = Q.int8_matmul(xq, w)
    expected = product.to(torch.float32) * x_scale * w_scale
    expected = expected + b if b is not None else expected
    assert torch.equal(kernels.int8_scaled_matmul(xq, w, x_scale, w_scale, b), expected)


def test_eager_fallback_computes_the_same(compiled: None) -> None:
    x = activations(16, 96)
    finite = torch.isfinite(x).all(dim=-1)
    fused = kernels.int8_row_scale(x, 1), kernels.int8_quantize(x, kernels.int8_row_scale(x, 1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLANG_NATIVE", "0")
        native.library.cache_clear()
        assert native.library() is None
        scales = kernels.int8_row_scale(x, 1)
        q = kernels.int8_quantize(x, scales)
    native.library.cache_clear()
    assert torch.equal(scales, fused[0])
    assert torch.equal(q[finite], fused[1][finite])


def test_layouts_the_kernels_do_not_take_fall_back(compiled: None) -> None:
    x = activations(6, 10)
    assert native.row_scales(x, 0) is None  # not the last dimension
    assert native.row_scales(x.t(), 1) is None  # not contiguous
    assert native.quantize(x.double(), torch.tensor(1.0)) is None
    assert native.quantize(x, torch.ones(3, 1)) is None  # neither per row nor one in all
    product = torch.ones(6, 10, dtype=torch.int32)
    assert native.rescale(product, torch.ones(6, 1), torch.ones(10, 1), None) is None
    scales = torch.ones(6, 1).requires_grad_()
    assert native.rescale(product, scales, torch.ones(1, 10), None) is None
    assert torch.equal(kernels.int8_row_scale(x, 0), Q.scales_for(x.abs().amax(0, keepdim=True)))


@pytest.fixture
def fresh_library() -> Iterator[None]:
    """The library looked up anew, and again after the test."""
    native.library.cache_clear()
    yield
    native.library.cache_clear()


def test_no_compiler_means_no_kernels(fresh_library: None, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    monkeypatch.setenv("MLANG_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "false")  # a compiler that fails
    assert native.library() is None
    assert native.quantize(torch.ones(2, 2), torch.tensor(1.0)) is None
    assert torch.equal(kernels.int8_quantize(torch.ones(2, 2), torch.tensor(0.5)),
                       torch.full((2, 2), 2, dtype=torch.int8))
    assert not list(tmp_path.rglob("*.so"))
