"""The AOT check (`backends/triton/aot.py`): kernels run with a GPU's block sizes under the
interpreter (against the reference backend) and compiled with Triton's real compiler for
sm_80 and sm_90; a kernel the interpreter accepts and the compiler rejects is caught (on
sm_75 too); on sm_75 an int8 product, which a declared rule sends to PyTorch there, is a
fallback; and `mrun --aot-check`.

Every Triton-backend test parametrized with `backend="triton"` or marked `gpu_kernels` runs
under the check (`tests/conftest.py`): among them the whole differential test (the
examples, the model-op cases, the torch backend's programs and the random programs).
Swept here besides: `BLOCKS` and `TRAINING` of `test_triton_backend.py`, the module-level
IR programs of `test_triton_kernels.py`, the int8 linear modes, half precision and
`bench/gpu.py`'s programs. A compile takes 0.1-0.5 s on this machine, and the disk cache
compiles a kernel that several programs share once.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_int8_kernels import LINEAR, linear_ir
from test_triton_backend import BLOCKS, TRAINING
from test_triton_kernels import ARGMAX, NORMS, POINTWISE
from test_triton_kernels import LINEAR as GELU_LINEAR
from triton_testing import check_forward, definitions, load_test_module
from triton_testing import assert_close, run_both

from xdsl.dialects.builtin import TensorType
from xdsl.parser import Parser

from mlang.backends.triton.aot import AotCheck, aot_check, gpu_blocks, parse_archs
from mlang.backends.triton.backend import INTERPRETER_PIPELINE, PIPELINE, pipeline
from mlang.dialects import make_context
from mlang.dialects.model.structure import DefOp
from mlang.runtime.precision import TOLERANCE
from mlang.support.diagnostics import UserError

ARCHS = (80, 90)
"""What CI checks: Ampere and Hopper."""

DOT_K8 = """
import triton
import triton.language as tl


@triton.jit
def dot_k8_kernel(a, b, c, K: tl.constexpr):
    r = tl.arange(0, 16)
    k = tl.arange(0, K)
    x = tl.load(a + r[:, None] * K + k[None, :])
    y = tl.load(b + k[:, None] * 16 + r[None, :])
    tl.store(c + r[:, None] * 16 + r[None, :], tl.dot(x, y))
"""
"""A float16 `tl.dot` with K = 8: the interpreter runs it, the compiler needs K >= 16."""


def test_the_check_runs_kernels_with_gpu_block_sizes() -> None:
    assert pipeline() == INTERPRETER_PIPELINE and not gpu_blocks()
    with aot_check(ARCHS):
        assert pipeline() == PIPELINE and gpu_blocks()
    assert pipeline() == INTERPRETER_PIPELINE


def kinds(check: AotCheck) -> set[str]:
    """The kinds of the kernels a check compiled (`forward_matmul3_kernel`: matmul)."""
    return {launch.name.rsplit("_", 2)[-2].rstrip("0123456789")
            for launch in check.compiled.values()}


@pytest.mark.parametrize("program, shape, expected", [
    (BLOCKS, (2, 19, 12), {"attention", "matmul", "reduction"}),
    (TRAINING, (5, 4), {"matmul"}),
], ids=["blocks", "training"])
def test_test_program_kernels_compile_for_gpus(program: str, shape: tuple[int, ...],
                                               expected: set[str], tmp_path: Path) -> None:
    path = tmp_path / "program.m"
    path.write_text(program)
    torch.manual_seed(1)
    with aot_check(ARCHS) as check:
        for definition in definitions(path):
            check_forward(definition, torch.randn(*shape))
    assert kinds(check) >= expected


def int8_linear(mode: str, check_archs: tuple[int, ...]) -> AotCheck:
    """The quantized linear layer of `mode` run (GPU block sizes) under an AOT check."""
    torch.manual_seed(2)
    x = torch.randn(9, 40) * 16
    q = torch.randint(-127, 128, (24, 40), dtype=torch.int8)
    s, b = torch.rand(24, 1) / 50, torch.randn(24)
    with aot_check(check_archs) as check:
        got, want, _ = run_both(linear_ir(LINEAR[mode]), "f", [x, q, s, b],
                                pipeline="canonicalize,cse,lower-to-kernel")
    if mode == "weight":
        assert_close(got, want)
    else:
        torch.testing.assert_close(got[0], want[0], rtol=0, atol=0)
    return check


KERNEL_PROGRAMS = {"pointwise": POINTWISE, "norms": NORMS, "linear": GELU_LINEAR,
                   "argmax": ARGMAX}
"""The module-level IR programs of `test_triton_kernels.py` (its inline ones are not swept)."""


INT_TYPES = {"i1": torch.bool, "i8": torch.int8, "i32": torch.int32}


def signature_inputs(text: str) -> list[torch.Tensor]:
    """Random arguments of `@f`'s types (unknown sizes 3; integers in [0, 3))."""
    f = next(op for op in Parser(make_context(), text).parse_module().walk()
             if op.name == "func.func")
    args = []
    for t in f.function_type.inputs.data:
        assert isinstance(t, TensorType)
        shape = [3 if d < 0 else d for d in t.get_shape()]
        kind = str(t.element_type)
        if kind.startswith("i"):
            dtype = INT_TYPES.get(kind, torch.int64)
            args.append(torch.randint(0, 2 if kind == "i1" else 3, shape).to(dtype))
        else:
            args.append(torch.randn(shape).to(torch.float16 if kind == "f16" else torch.float32))
    return args


@pytest.mark.parametrize("name", sorted(KERNEL_PROGRAMS))
def test_kernel_test_programs_compile_for_gpus(name: str) -> None:
    torch.manual_seed(4)
    text = KERNEL_PROGRAMS[name]
    with aot_check(ARCHS) as check:
        got, want, _ = run_both(text, "f", signature_inputs(text))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5, equal_nan=True)
    assert check.compiled and not check.fallbacks


PRECISION = load_test_module("runtime/test_precision.py")
BENCH = Path(__file__).resolve().parents[3] / "bench"


def check_half(definition: DefOp, x: torch.Tensor, dtype: str) -> None:
    """`definition` on the Triton backend in half precision `dtype` is within the documented
    tolerance of float32 on the reference backend."""
    torch.manual_seed(0)
    params = PRECISION.random_params(definition)
    assert 0 < PRECISION.half_error(definition, params, x, "triton", dtype) <= TOLERANCE[dtype]


@pytest.mark.parametrize("dtype", ["bf16", "f16"])
def test_half_precision_kernels_compile_for_gpus(dtype: str, tmp_path: Path) -> None:
    """`test_precision.py`'s models on the Triton backend in half precision."""
    path = tmp_path / "models.m"
    path.write_text(PRECISION.PROGRAM)
    torch.manual_seed(3)
    with aot_check(ARCHS) as check:
        for definition in definitions(path):
            shape = PRECISION.INPUTS[definition.sym_name.data.split("_")[0]]
            check_half(definition, torch.randn(*shape), dtype)
    assert kinds(check) >= {"pointwise", "reduction", "matmul", "attention"}
    assert not check.fallbacks


def gpu_benchmark_programs() -> dict[str, tuple[str, tuple[int, ...]]]:
    """`bench/gpu.py`'s M programs, each with a short input."""
    sys.path.insert(0, str(BENCH))
    try:
        import encoder  # type: ignore[import-not-found]  # bench/, put on the path above
        import gpu  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCH))
    kernels = gpu.kernel_sources()
    return {"encoder": (encoder.m_program(1), (1, 5, encoder.HIDDEN)),
            "softmax": (kernels["softmax"], (3, gpu.SEQ)),
            "layer norm": (kernels["layer norm"], (3, encoder.HIDDEN)),
            "matmul": (kernels["matmul"], (3, encoder.HIDDEN)),
            "attention": (kernels["attention"], (1, gpu.SEQ, encoder.HIDDEN))}


@pytest.mark.parametrize("dtype", ["bf16", "f16"])
def test_gpu_benchmark_kernels_compile_for_gpus(dtype: str, tmp_path: Path) -> None:
    """`bench/gpu.py`'s programs. Their sizes are static but for batch and sequence, which
    count as large when blocks are chosen, so short inputs launch the kernels that a GPU
    runs at batch 8 and sequence 128. One encoder layer launches every distinct kernel of
    twelve: the layers print the same kernels (one, two and three layers launch the same
    five, measured)."""
    torch.manual_seed(5)
    with aot_check(ARCHS) as check:
        for name, (source, shape) in gpu_benchmark_programs().items():
            path = tmp_path / f"{name.replace(' ', '_')}.m"
            path.write_text(source)
            (definition,) = definitions(path)
            check_half(definition, torch.randn(*shape), dtype)
    assert kinds(check) >= {"reduction", "matmul", "attention"}
    assert not check.fallbacks


@pytest.mark.parametrize("mode", sorted(LINEAR))
def test_int8_kernels_compile_for_gpus(mode: str) -> None:
    assert not int8_linear(mode, ARCHS).fallbacks


def test_int8_dot_falls_back_on_sm_75(capsys: pytest.CaptureFixture[str]) -> None:
    check = int8_linear("static", (75,))
    assert [f.arch for f in check.fallbacks] == [75]
    assert "matmul" in check.fallbacks[0].name
    assert "on sm_75 it runs through PyTorch" in capsys.readouterr().err


@pytest.mark.parametrize("arch", [80, 75])
def test_a_kernel_the_compiler_rejects_is_caught(arch: int, tmp_path: Path) -> None:
    """On sm_75 too: only kernels a declared rule covers fall back there."""
    module_path = tmp_path / "dot_k8.py"
    module_path.write_text(DOT_K8)
    sys.path.insert(0, str(tmp_path))
    try:
        from dot_k8 import dot_k8_kernel  # type: ignore[import-not-found]  # written above
    finally:
        sys.path.remove(str(tmp_path))
    a, b = torch.randn(16, 8).half(), torch.randn(8, 16).half()
    c = torch.empty(16, 16)
    dot_k8_kernel[(1,)](a, b, c, K=8)  # the interpreter accepts it
    torch.testing.assert_close(c, a.float() @ b.float(), rtol=1e-2, atol=1e-2)
    with pytest.raises(UserError, match=rf"^kernel dot_k8_kernel failed to compile for "
                                        rf"sm_{arch}: .*K >= 16"), aot_check((arch,)):
        dot_k8_kernel[(1,)](a, b, c, K=8)


def test_architectures_are_parsed() -> None:
    assert parse_archs("sm_80, sm_90,sm_80") == (80, 90)
    with pytest.raises(UserError, match="'80'"):
        parse_archs("sm_80,80")


def mrun(program: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`mrun PROGRAM OPTIONS` in a fresh process (which switches the interpreter on)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    code = "from mlang.tools.mrun import main; main()"
    return subprocess.run([sys.executable, "-c", code, str(program), *options],
                          capture_output=True, text=True, timeout=300, env=env,
                          cwd=program.parent, check=False)


def test_mrun_aot_check(tmp_path: Path) -> None:
    program = tmp_path / "train.m"
    program.write_text(TRAINING)
    checked = mrun(program, "--backend", "triton", "--aot-check", "sm_80,sm_90")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("final loss:") and "accuracy:" in checked.stdout


@pytest.mark.parametrize("backend, archs, message", [
    ("triton", "ampere", "--aot-check expects architectures such as 'sm_80,sm_90', got 'ampere'"),
    ("torch", "sm_80", "--aot-check needs --backend triton on the CPU (interpreted)"),
])
def test_mrun_aot_check_misuse(backend: str, archs: str, message: str, tmp_path: Path) -> None:
    from mlang.support.diagnostics import CompileError, SourceManager
    from mlang.tools.mrun import run_program

    program = tmp_path / "train.m"
    program.write_text(TRAINING)
    with pytest.raises(CompileError, match=re.escape(message)):
        run_program(str(program), backend, "cpu", None, SourceManager(), aot_check=archs)


def test_mrun_reports_a_failed_kernel_at_its_statement(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlang.support.diagnostics import CompileError, SourceManager, render
    from mlang.tools.mrun import run_program

    program = tmp_path / "train.m"
    program.write_text(TRAINING)
    monkeypatch.setattr(AotCheck, "_compile", lambda self, launch, arch, key: "K >= 16")
    sources = SourceManager()
    with pytest.raises(CompileError) as err:
        run_program(str(program), "triton", "cpu", None, sources, aot_check="sm_80")
    first = render(err.value, sources).splitlines()[0]
    line = TRAINING.splitlines().index('print("accuracy:", evaluate(net, test))')
    assert first.startswith(f"{program}:{line + 1}:")
    assert first.endswith("failed to compile for sm_80: K >= 16")
    assert ": error: kernel forward_" in first


def test_a_compile_that_hangs_fails_and_is_not_cached(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    from mlang.backends.triton import aot

    monkeypatch.setenv("MLANG_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(aot, "COMPILE_TIMEOUT", 0.01)
    with pytest.raises(UserError, match=r"failed to compile for sm_80: the compiler did not "
                                        r"finish in 0.01 s"):
        int8_linear("weight", (80,))
    assert not list((tmp_path / "triton-aot").glob("*.json"))
