"""The differential test of the Triton backend: it runs every program the torch backend
runs, and agrees with the reference backend.

Programs, on tiny shapes, run with the block sizes a GPU run picks (under Triton's
interpreter) and each kernel also compiled for sm_80 and sm_90 by Triton's real compiler
(the `gpu_kernels` mark, `tests/conftest.py`):
- every example: the `forward` of each of its models (`INPUTS` gives a small input);
- every model-op program of `tests/passes/test_lowering_differential.py` (its `CASES`);
- every small program of `tests/backends/torch/test_torch_backend.py` (`PROGRAMS`), run
  whole by the interpreter, printouts compared;
- `RANDOM_PROGRAMS` (env `MLANG_TRITON_RANDOM_PROGRAMS`, default 100) programs of the
  random program generator of `tests/backends/torch/test_random_programs.py`, drawn
  from a fixed seed, and half as many quantized (weight and dynamic int8).

Tolerance, as on the torch backend: floats to 1e-4 relative with an absolute floor of
1e-5 times the output's magnitude (at least 1); integers and booleans exactly; quantized
programs to 1e-4 of the magnitude. The test also checks that the declared fallbacks
(`backends/triton/fallbacks.py`, `mopt --list-fallbacks`) name every op that
`wrap-kernels` can only hand to PyTorch.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from triton_testing import (
    EXAMPLES, INPUTS, assert_close, check_forward, definitions, kernels, load_test_module,
    run_both,
)

from mlang.backends import RunOptions, get_backend
from mlang.backends.triton.fallbacks import FALLBACKS
from mlang.dialects import tensorops
from mlang.dialects.kernel import ExternKernelOp
from mlang.frontend import compile_source
from mlang.passes.wrap_kernels import kernel_kinds

RANDOM_PROGRAMS = int(os.environ.get("MLANG_TRITON_RANDOM_PROGRAMS", "100"))
SEED = 20
"""The seed the random programs are drawn from (the same programs on every run)."""


LOWERING = load_test_module("passes/test_lowering_differential.py")
TORCH_PROGRAMS = load_test_module("backends/torch/test_torch_backend.py")
RANDOM = load_test_module("backends/torch/test_random_programs.py")


# ------------------------------------------------------------------------- examples


@pytest.mark.gpu_kernels
@pytest.mark.parametrize("example", sorted(INPUTS))
def test_example_models_match_the_reference(example: str) -> None:
    torch.manual_seed(0)
    for definition in definitions(EXAMPLES / f"{example}.m"):
        check_forward(definition, torch.randn(*INPUTS[example]) * 4)


NOT_COVERED = {"sentiment": "its BERT's forward takes three tensors of token ids, not one "
                            "input; tests/runtime/test_examples.py runs it"}
"""Examples whose models `check_forward` cannot drive, and why."""


def test_every_example_is_covered() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.m")) == sorted([*INPUTS, *NOT_COVERED])


# ------------------------------------------------------- the torch backend's programs


@pytest.mark.gpu_kernels
@pytest.mark.parametrize("case", LOWERING.CASES, ids=lambda c: c.id)
def test_model_op_matches_reference(case: Any) -> None:
    module = compile_source(case.source(), f"{case.id}.m")
    generator = torch.Generator().manual_seed(0)
    model, _ = LOWERING.forward_of(module)
    params = LOWERING.random_params(model, generator)
    inputs = [a.value(generator) for a in case.args]
    (want,) = get_backend("reference").compile(model).run("forward", params, inputs, RunOptions())
    (got,) = get_backend("triton").compile(model).run("forward", params, inputs, RunOptions())
    LOWERING.check_same(got, want)


@pytest.mark.gpu_kernels
@pytest.mark.parametrize("name", sorted(TORCH_PROGRAMS.PROGRAMS))
def test_program_matches_reference(name: str) -> None:
    source = TORCH_PROGRAMS.PROGRAMS[name]
    expected = TORCH_PROGRAMS.run_in_process(source, "reference")
    TORCH_PROGRAMS.assert_same_printout(TORCH_PROGRAMS.run_in_process(source, "triton"), expected)


# ------------------------------------------------------------------ random programs


def _assert_close(got: torch.Tensor, want: torch.Tensor, floor: float, what: str) -> None:
    """Same shape; 1e-4 relative, `floor` times the output's magnitude absolute."""
    assert got.shape == want.shape, what
    scale = max(1.0, float(want.abs().max())) if want.numel() else 1.0
    torch.testing.assert_close(got, want, rtol=1e-4, atol=floor * scale,
                               msg=lambda m: f"{m}\n{what}")


@pytest.mark.gpu_kernels
@seed(SEED)
@settings(max_examples=RANDOM_PROGRAMS, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(program=RANDOM.programs())
def test_random_program_matches_reference(program: Any) -> None:
    model, x = RANDOM._model_and_input(program)
    outputs = []
    for backend in ("triton", "reference"):
        compiled = get_backend(backend).compile(model.definition)
        with torch.no_grad():
            outputs.append(compiled.run("forward", model.params, [x], RunOptions())[0])
    _assert_close(outputs[0], outputs[1], 1e-5, program.source)


@pytest.mark.gpu_kernels
@seed(SEED)
@settings(max_examples=RANDOM_PROGRAMS // 2, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(program=RANDOM.programs(), mode=st.sampled_from(["weight", "dynamic"]))
def test_random_quantized_program_matches_reference(program: Any, mode: str) -> None:
    from mlang.runtime.quantize import quantize_model

    model, x = RANDOM._model_and_input(program)
    outputs = []
    for backend in ("triton", "reference"):
        quantized = quantize_model(model, "int8", mode, None, get_backend(backend))
        with torch.no_grad():
            outputs.append(quantized.compiled.run("forward", quantized.params, [x],
                                                  RunOptions())[0])
    _assert_close(outputs[0], outputs[1], 1e-4, f"{mode}\n{program.source}")


# ------------------------------------------------------------------------ fallbacks


def _tensor_ops() -> list[type[tensorops.TensorOp]]:
    """Every concrete tensorops op class."""
    classes = {c for c in vars(tensorops).values()
               if isinstance(c, type) and issubclass(c, tensorops.TensorOp)
               and isinstance(getattr(c, "name", None), str)}
    return sorted(classes, key=lambda c: c.name)


def test_fallbacks_name_every_op_only_pytorch_computes() -> None:
    declared = {f.op for f in FALLBACKS}
    for op in _tensor_ops():
        kinds = kernel_kinds(op.__new__(op))  # kernel_kinds reads only the op's class
        if kinds == [ExternKernelOp]:
            assert op.name in declared, f"{op.name} falls back to PyTorch undeclared"
    assert declared <= {op.name for op in _tensor_ops()}, "a fallback names no tensor op"
    assert len(declared) == len(FALLBACKS), "an op is declared twice"
    assert all(f.deliberate for f in FALLBACKS), "a fallback is neither a kernel nor deliberate"


def test_mopt_lists_the_fallbacks() -> None:
    from click.testing import CliRunner

    from mlang.tools.mopt import cli

    result = CliRunner().invoke(cli, ["--list-fallbacks"])
    assert result.exit_code == 0, result.output
    for fallback in FALLBACKS:
        assert f"{fallback.op} " in result.output
    # the columns are as wide as the longest op name
    assert re.search(r"tensorops\.conv2d +always; deliberate: cuDNN", result.output)
    assert "kernel.matmul of int8 operands  below sm_80: Triton's" in result.output


SEVERAL_AXES = """
func.func @f(%x: tensor<4x5x6xf32>, %y: tensor<?x5x6xf32>)
    -> (tensor<5xf32>, tensor<?x1x1xf32>, tensor<f32>) {
  %a = tensorops.reduce_sum %x axes [0, 2] : tensor<4x5x6xf32> -> tensor<5xf32>
  %b = tensorops.reduce_max %y axes [1, 2] keepdim : tensor<?x5x6xf32> -> tensor<?x1x1xf32>
  %c = tensorops.reduce_mean %x axes [0, 1, 2] : tensor<4x5x6xf32> -> tensor<f32>
  func.return %a, %b, %c : tensor<5xf32>, tensor<?x1x1xf32>, tensor<f32>
}
"""


def test_reductions_over_several_axes_are_kernels() -> None:
    """Several axes of known sizes: moved last and merged, then one row reduction."""
    args = [torch.randn(4, 5, 6), torch.randn(3, 5, 6)]
    got, want, module = run_both(SEVERAL_AXES, "f", args, small=True)
    assert kernels(module) == ["reduction"] * 3
    assert_close(got, want)
