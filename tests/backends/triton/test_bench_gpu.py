"""`bench/gpu.py` without a GPU: it says so and succeeds, its M programs compile, and its
peak table knows the devices it names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source

BENCH = Path(__file__).resolve().parents[3] / "bench"
sys.path.insert(0, str(BENCH))
import gpu  # noqa: E402 - the benchmark, from bench/


def test_without_cuda_it_says_so_and_exits_0() -> None:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, str(BENCH / "gpu.py")], capture_output=True,
                          text=True, timeout=120, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("no GPU: "), proc.stdout


@pytest.mark.parametrize("name", ["softmax", "layer norm", "matmul", "attention"])
def test_kernel_programs_compile(name: str) -> None:
    module = compile_source(gpu.kernel_sources()[name], f"{name}.m")
    assert any(isinstance(op, DefOp) for op in module.ops)


@pytest.mark.parametrize("dt", sorted(gpu.DTYPES))
def test_half_rows_run_through_the_dtype_mechanism(dt: str) -> None:
    """The half rows' mlang side (`with_dtype`, as `mrun --dtype`), here interpreted."""
    import torch

    dtype = gpu.DTYPES[dt]
    torch.manual_seed(0)
    x = torch.randn(3, 768).to(dtype)
    ln = {"l.weight": torch.randn(768).to(dtype), "l.bias": torch.randn(768).to(dtype)}
    got = gpu.mlang_forward(gpu.kernel_sources()["layer norm"], ln, dt)(x)
    assert got.dtype == dtype
    want = torch.nn.functional.layer_norm(x.float(), (768,), ln["l.weight"].float(),
                                          ln["l.bias"].float())
    torch.testing.assert_close(got.float(), want, rtol=2e-2, atol=2e-2)


def test_known_devices_have_datasheet_peaks() -> None:
    assert gpu.device_peak("NVIDIA H100 80GB HBM3") == (gpu.Peak(3350.0, 989.0), "datasheet")
    assert gpu.device_peak("NVIDIA H100 PCIe")[0].gbps == 2000.0
    assert gpu.device_peak("NVIDIA A100-SXM4-40GB")[0].gbps == 1555.0


def test_table_aligns_columns() -> None:
    rows = [["encoder f16 b1", "1.000", "2.000", "1.500", "2.00x", "1.50x", "met"]]
    header, row = gpu.table(rows).splitlines()
    assert header.index("mlang ms") == row.index("1.000")
