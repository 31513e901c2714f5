"""The tensor functions of M 0.2 (`erf pow tril triu cumsum topk gather unsqueeze squeeze
expand repeat_interleave chunk pad masked_fill normalize dropout`) through all three
backends: Triton (under the interpreter), torch and the reference, on tiny shapes with a
dynamic batch. The elementwise ones fuse into Triton kernels; `cumsum`, `topk`, `gather`
(`take_along`) and `pad` run as `kernel.extern` on PyTorch, which the kernel IR shows."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from xdsl.dialects.builtin import ModuleOp

from mlang.backends import RunOptions
from mlang.backends.reference.backend import ReferenceBackend
from mlang.backends.torch.backend import TorchBackend
from mlang.backends.triton.backend import TritonBackend
from mlang.dialects.kernel import ExternKernelOp
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_file
from mlang.support.diagnostics import SourceManager

from triton_testing import kernels, lower

pytestmark = pytest.mark.gpu_kernels  # every kernel here also compiled for sm_80 and sm_90

PROGRAM = """
model Pointwise() {
    fn forward(x: f32[N, 4, 6]) -> f32[N, 4, 6] {
        let masked = masked_fill(x, x > 1.0, -2.0)
        let tri = tril(x, 1) + triu(erf(x), -1) * pow(abs(x) + 0.5, 1.5)
        let wide = expand(unsqueeze(x[:, 0, :], 1), [-1, 4, -1])
        return squeeze(unsqueeze(tri + masked + wide, 2), 2) + dropout(normalize(x), 0.3)
    }
}

model Extern() {
    fn forward(x: f32[N, 4, 6]) -> f32[N, 4, 6] {
        let (values, ids) = topk(x, 3)
        let picked = gather(x, 2, ids)
        let (left, right) = chunk(x, 2, 2)
        let twice = repeat_interleave(values - picked, 2, 2)
        return cumsum(x, 1) + pad(left, [0, 3], value=0.25) + twice + pad(right, [3, 0])
    }
}

let p = Pointwise()
let e = Extern()
"""


@pytest.fixture(scope="module")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DefOp]:
    """The program's model definitions by source name."""
    program: Path = tmp_path_factory.mktemp("index") / "index.m"
    program.write_text(PROGRAM)
    module = compile_file(str(program), SourceManager())
    return {op.sym_name.data: op for op in module.walk() if isinstance(op, DefOp)}


@pytest.mark.parametrize("name", ["Pointwise", "Extern"])
@pytest.mark.parametrize("batch", [1, 3])
def test_three_backends_agree(definitions: dict[str, DefOp], name: str, batch: int) -> None:
    torch.manual_seed(batch)
    x = torch.randn(batch, 4, 6)
    definition = definitions[name]
    want = ReferenceBackend().compile(definition).run("forward", {}, [x], RunOptions())
    for backend in (TorchBackend(), TritonBackend()):
        got = backend.compile(definition).run("forward", {}, [x], RunOptions())
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_elementwise_functions_fuse_and_indexing_ops_are_extern(
    definitions: dict[str, DefOp],
) -> None:
    pointwise = _kernel_ir(definitions["Pointwise"])
    # All fused, with normalize's sum: one reduction kernel and no PyTorch fallback.
    assert kernels(pointwise) and "extern" not in kernels(pointwise)
    extern = _kernel_ir(definitions["Extern"])
    assert {"tensorops.cumsum", "tensorops.topk", "tensorops.take_along",
            "tensorops.pad"} <= _externs(extern)


def _kernel_ir(definition: DefOp) -> ModuleOp:
    """One model definition lowered to kernels, as the Triton backend lowers it."""
    return lower(str(ModuleOp([definition.clone()])), "O2")


def _externs(module: ModuleOp) -> set[str]:
    """The names of the ops that the module's extern kernels hand to PyTorch."""
    return {op.payload().name for op in module.walk() if isinstance(op, ExternKernelOp)}
