"""Running tensorops IR through `lower-to-kernel` and the Triton backend, against the
torch backend's code for the same IR (PyTorch eager: the reference numerics); and model
definitions through the Triton backend against the reference backend."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser

from mlang.backends import RunOptions
from mlang.backends.reference.backend import ReferenceBackend
from mlang.backends.reference.init import init_parameter
from mlang.backends.torch.codegen import compile_functions
from mlang.backends.triton.cache import load_source
from mlang.backends.triton.backend import TritonBackend
from mlang.backends.triton.codegen import generate_module
from mlang.dialects import make_context
from mlang.dialects.kernel import KernelOp, TiledKernelOp
from mlang.dialects.model.structure import DefOp
from mlang.dialects.tensorops.base import int_array
from mlang.frontend import compile_file
from mlang.passes import get_all_passes, get_all_pipelines
from mlang.support.pass_manager import PipelineBuilder
from mlang.support.diagnostics import SourceManager
from mlang.support.pass_pipeline import NestedPipeline, parse_pass_list

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
INPUTS = {
    "digits": (7, 64), "iris": (5, 4), "diabetes": (6, 10), "transformer": (3, 64),
    "finetune": (5, 64), "finetune_schedule": (5, 64), "quantize": (4, 64),
}
"""A small input shape for each example's models."""

SMALL_BLOCKS = {
    "kernel.pointwise": [16], "kernel.reduction": [2, 16], "kernel.matmul": [16, 16, 16],
    "kernel.attention": [16, 16, 2],
}
"""Block sizes that make tiny shapes span several programs, with ragged tails."""


Blocks = bool | dict[str, list[int]]


def lower(text: str, pipeline: str = "lower-to-kernel", small: Blocks = False) -> ModuleOp:
    """Parses tensorops IR and runs `pipeline` on it; `small` shrinks every block (to
    SMALL_BLOCKS, or to the given sizes by op name)."""
    ctx = make_context()
    module = Parser(ctx, text).parse_module()
    builder = PipelineBuilder(get_all_passes(), get_all_pipelines())
    builder.build(NestedPipeline("builtin.module", parse_pass_list(pipeline), 1)).apply(ctx, module)
    sizes = small if isinstance(small, dict) else SMALL_BLOCKS if small else {}
    for op in module.walk():
        if isinstance(op, TiledKernelOp) and op.name in sizes:
            op.properties["block_sizes"] = int_array(sizes[op.name])
    return module


def kernels(module: ModuleOp) -> list[str]:
    """The kinds of the module's kernels, in order."""
    return [op.KIND for op in module.walk() if isinstance(op, KernelOp)]


def functions(module: ModuleOp) -> list[func.FuncOp]:
    """The module's functions."""
    return [op for op in module.walk() if isinstance(op, func.FuncOp)]


def run_both(text: str, name: str, args: Sequence[object], small: Blocks = False,
             pipeline: str = "lower-to-kernel") -> tuple[list[torch.Tensor], list[torch.Tensor], ModuleOp]:
    """`name` run through Triton kernels and through torch: (triton, torch, kernel IR)."""
    reference = compile_functions(functions(Parser(make_context(), text).parse_module()))
    module = lower(text, pipeline, small)
    triton_fns = load_source(generate_module(functions(module)))
    with np.errstate(all="ignore"):
        got = triton_fns[name]({}, *args)
    want = reference[name]({}, *args)
    as_list = lambda r: list(r) if isinstance(r, tuple) else [r]
    return as_list(got), as_list(want), module


def assert_close(got: Sequence[torch.Tensor], want: Sequence[torch.Tensor],
                 rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Each pair agrees in shape, dtype and values (float32: 1e-4 relative)."""
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        if g.dtype.is_floating_point:
            torch.testing.assert_close(g, w, rtol=rtol, atol=atol, equal_nan=True)
        else:
            assert torch.equal(g, w)


TESTS = Path(__file__).resolve().parents[2]


def load_test_module(relative: str) -> ModuleType:
    """A test module of another folder (`tests/RELATIVE`), loaded by path once (test
    folders are not packages)."""
    name = f"_loaded_{Path(relative).stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def definitions(path: Path) -> list[DefOp]:
    """The model definitions of an M program."""
    module = compile_file(str(path), SourceManager())
    return [op for op in module.walk() if isinstance(op, DefOp)]


def random_params(definition: DefOp) -> dict[str, torch.Tensor]:
    """Parameters drawn as the runtime draws them."""
    return {
        p.sym_name.data: init_parameter(p.init.data, tuple(p.param_type.get_shape()),
                                        p.scale.value.data)
        for p in definition.params
    }


def check_forward(definition: DefOp, x: torch.Tensor) -> None:
    """`forward` through Triton kernels agrees with the reference backend."""
    params = random_params(definition)
    got = TritonBackend().compile(definition).run("forward", params, [x], RunOptions())
    want = ReferenceBackend().compile(definition).run("forward", params, [x], RunOptions())
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
