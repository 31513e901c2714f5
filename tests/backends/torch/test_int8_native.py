"""The fused int8 kernels (`backends/torch/native.py`, `int8_native.c`) against the reference
int8 arithmetic and against the eager fallback of `kernels.py`: equal bit for bit, on
rows of zeros, infinities and NaNs too, with one scale per row or one in all, and for the
int8 product with its epilogue on every kind of tile edge."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from mlang.backends.reference import quantization as Q
from mlang.backends.torch import kernels, native


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The kernels must build wherever a C compiler is (CI has one): a build that fails
    there fails the test, with the compiler's message. They are tested even where the
    user's environment turns them off (`MLANG_NATIVE=0`)."""
    monkeypatch.delenv("MLANG_NATIVE", raising=False)
    native.availability.cache_clear()
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ('{compiler}'): the eager fallback is what runs")
    assert native.library() is not None, native.availability().reason
    yield
    native.availability.cache_clear()  # the next test sees the user's MLANG_NATIVE again


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
    both = kernels.int8_quantize_rows(x, -1)
    assert torch.equal(both[1], scales) and torch.equal(both[0][finite], q[finite])


def test_quantize_divides_where_a_quotient_is_near_a_half(compiled: None) -> None:
    """The kernel multiplies by 1 / scale and divides only near a rounding boundary or
    where a quotient is infinite: neighbours of every half-integer quotient, and scales
    whose reciprocal overflows or is subnormal, round as the division does."""
    torch.manual_seed(3)
    scales = torch.rand(40, 1) * 0.01 + 1e-4
    halves = torch.arange(-127, 127).float() + 0.5
    centre = (halves * scales).unsqueeze(-1)  # [40, 254, 1]
    steps = torch.arange(-4, 5).float()  # neighbours four ulps either side
    x = centre + steps * torch.finfo(torch.float32).eps * centre.abs()
    x = x.reshape(40, -1)
    assert torch.equal(kernels.int8_quantize(x, scales), Q.quantize(x, scales))
    for scale in (1e-39, 3e38):  # 1 / scale: inf, and subnormal
        y = torch.tensor([[0.5, -1.5, 2.5, 3e38, -1e-39] * 4]) * scale / 3e38 * 3e38
        s = torch.tensor([[scale]])
        assert torch.equal(kernels.int8_quantize(y, s), Q.quantize(y, s))


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


def missing_vnni() -> str | None:
    """Why the fused int8 product cannot be compiled here (the CPU or the compiler lacks
    AVX-512 VNNI, F or BW), or None where it can."""
    flags = native._cpu_flags().split()
    if flags and not {"avx512f", "avx512bw", "avx512_vnni"} <= set(flags):
        return "the CPU has no AVX-512 VNNI"
    compiler = shutil.which(os.environ.get("CC", "cc")) or "cc"
    macros = native._predefined_macros([compiler, "-march=native"])
    if not all(f"__AVX512{name}__" in macros for name in ("F", "BW", "VNNI")):
        return f"{compiler} does not target AVX-512 VNNI with -march=native"
    return None


@pytest.fixture
def gemm(compiled: None) -> None:
    """The fused int8 product is compiled where the CPU has AVX-512 VNNI (CI's does)."""
    if reason := missing_vnni():
        pytest.skip(f"{reason}: torch._int_mm and int8_rescale are what run")
    assert hasattr(native.library(), "int8_gemm"), "the fused int8 product was not compiled"


def scaled_product(a: torch.Tensor, b: torch.Tensor, x_scale: torch.Tensor,
                   w_scale: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """The reference: the exact int32 product, then each rescaling step rounded."""
    y = Q.int8_matmul(a, b).to(torch.float32) * x_scale * w_scale
    return y if bias is None else y + bias


@pytest.mark.parametrize("rows", [1, 5, 6, 7, 13])
@pytest.mark.parametrize("depth", [1, 3, 4, 67])
@pytest.mark.parametrize("cols", [1, 17, 64, 130])
def test_fused_product_equals_the_reference_on_every_tile_edge(
        gemm: None, rows: int, depth: int, cols: int) -> None:
    torch.manual_seed(rows * 10000 + depth * 100 + cols)
    a = torch.randint(-128, 128, (rows, depth), dtype=torch.int8)
    a[0, 0] = -128  # the extremes: 0 and 255 once shifted
    a[-1, -1] = 127
    weight = torch.randint(-128, 128, (cols, depth), dtype=torch.int8)  # nn.Linear's layout
    x_scale, w_scale, bias = torch.rand(rows, 1) / 100, torch.rand(1, cols) / 100, torch.randn(cols)
    for b in (weight.t(), weight.t().contiguous()):
        fused = native.scaled_matmul(a, b, x_scale, w_scale, bias)
        assert fused is not None
        assert torch.equal(fused, scaled_product(a, b, x_scale, w_scale, bias))


@pytest.mark.parametrize("scales", ["one in all", "per row and column"])
def test_fused_product_takes_batches_and_one_scale_in_all(gemm: None, scales: str) -> None:
    torch.manual_seed(2)
    a = torch.randint(-127, 128, (2, 3, 40), dtype=torch.int8)
    b = torch.randint(-127, 128, (40, 70), dtype=torch.int8)
    x_scale, w_scale = ((torch.tensor(0.02), torch.tensor([0.003])) if scales == "one in all"
                        else (torch.rand(2, 3, 1), torch.rand(70)))
    fused = native.scaled_matmul(a, b, x_scale, w_scale, None)
    assert fused is not None and fused.shape == (2, 3, 70)
    assert torch.equal(fused, scaled_product(a, b, x_scale, w_scale, None))


def test_a_weight_is_packed_once_and_again_when_it_changes(gemm: None) -> None:
    a = torch.ones(4, 8, dtype=torch.int8)
    weight = torch.ones(3, 8, dtype=torch.int8)
    one = torch.tensor(1.0)
    before = len(native._PACKED)
    assert torch.equal(kernels.int8_linear(a, weight, one, one), torch.full((4, 3), 8.0))
    assert torch.equal(kernels.int8_linear(a, weight, one, one), torch.full((4, 3), 8.0))
    assert len(native._PACKED) == before + 1
    weight.fill_(2)  # in place: the packed copy is stale
    assert torch.equal(kernels.int8_linear(a, weight, one, one), torch.full((4, 3), 16.0))
    del weight
    assert len(native._PACKED) == before


def test_a_contraction_too_deep_for_int32_sums_falls_back(gemm: None) -> None:
    depth = native.GEMM_MAX_DEPTH + 1
    a = torch.full((1, depth), 127, dtype=torch.int8)
    b = torch.full((depth, 2), -128, dtype=torch.int8)
    one = torch.tensor(1.0)
    assert native.scaled_matmul(a, b, one, one, None) is None
    assert torch.equal(kernels.int8_scaled_matmul(a, b, one, one),
                       torch.full((1, 2), 127.0 * -128 * depth))


def test_eager_fallback_computes_the_same(compiled: None) -> None:
    x = activations(16, 96)
    finite = torch.isfinite(x).all(dim=-1)
    weight, w_scale = torch.randint(-127, 128, (24, 96), dtype=torch.int8), torch.rand(24, 1)

    def steps() -> tuple[torch.Tensor, ...]:
        scales = kernels.int8_row_scale(x, 1)
        q = kernels.int8_quantize(x, scales)
        q_both, scales_both = kernels.int8_quantize_rows(x, 1)
        assert torch.equal(scales_both, scales) and torch.equal(q_both[finite], q[finite])
        return scales, q, kernels.int8_linear(q[finite], weight, scales[finite], w_scale)

    fused = steps()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLANG_NATIVE", "0")
        native.availability.cache_clear()
        assert native.library() is None
        eager = steps()
    native.availability.cache_clear()
    assert torch.equal(eager[0], fused[0])
    assert torch.equal(eager[1][finite], fused[1][finite])
    assert torch.equal(eager[2], fused[2])


def test_layouts_the_kernels_do_not_take_fall_back(compiled: None) -> None:
    x = activations(6, 10)
    assert native.row_scales(x, 0) is None  # not the last dimension
    assert native.quantize_rows(x, 0) is None and native.quantize_rows(x.t(), 1) is None
    assert native.row_scales(x.t(), 1) is None  # not contiguous
    assert native.quantize(x.double(), torch.tensor(1.0)) is None
    assert native.quantize(x, torch.ones(3, 1)) is None  # neither per row nor one in all
    product = torch.ones(6, 10, dtype=torch.int32)
    assert native.rescale(product, torch.ones(6, 1), torch.ones(10, 1), None) is None
    scales = torch.ones(6, 1).requires_grad_()
    assert native.rescale(product, scales, torch.ones(1, 10), None) is None
    a, b = torch.ones(6, 10, dtype=torch.int8), torch.ones(10, 4, dtype=torch.int8)
    assert native.scaled_matmul(a.t(), b.t(), torch.ones(10, 1), torch.ones(6), None) is None
    assert native.scaled_matmul(a[0], b, torch.tensor(1.0), torch.ones(4), None) is None
    assert native.scaled_matmul(a, b, torch.ones(6, 1), torch.ones(5), None) is None
    assert torch.equal(kernels.int8_row_scale(x, 0), Q.scales_for(x.abs().amax(0, keepdim=True)))


@pytest.fixture
def fresh_library() -> Iterator[None]:
    """The library looked up anew, and again after the test."""
    native.availability.cache_clear()
    yield
    native.availability.cache_clear()


def test_no_compiler_means_no_kernels(fresh_library: None, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    monkeypatch.setenv("MLANG_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "false")  # a compiler that fails
    assert native.library() is None
    assert native.quantize(torch.ones(2, 2), torch.tensor(1.0)) is None
    assert torch.equal(kernels.int8_quantize(torch.ones(2, 2), torch.tensor(0.5)),
                       torch.full((2, 2), 2, dtype=torch.int8))
    assert not list(tmp_path.rglob("*.so"))
