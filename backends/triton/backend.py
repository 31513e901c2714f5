"""The Triton backend as a `Backend`: a `model.def` lowered to kernels, printed as Triton
kernels and host wrappers, and executed.

    definition --lower-to-tensor, canonicalize, cse, lower-to-kernel (= O2)--> kernel IR
               --codegen--> Python module of @triton.jit functions --import

`TritonBackend.compile` caches by a sha256 of the definition's model-level IR and the
compiler's sources (`key_of`), in memory and on disk (`cache_dir("triton")`), so a
warm start neither lowers nor generates. Inference (`evaluate`, `predict`, calls) runs the
Triton kernels. Training needs gradients, which Triton kernels do not have: calls with
`training=True` run the same definition on the torch backend (PyTorch autograd).
Parameters are shared, so a model trained through torch is then evaluated through Triton.

`emit_triton` is `mopt -t triton`: the generated module of every `model.def` (lowered
with O2 first while it holds model or tensor ops; kernels without block sizes get
`choose-block-sizes`) and of the module's functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import StringIO
from typing import IO, TYPE_CHECKING

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.printer import Printer

from mlang.backends import CompiledModel, RunOptions
from mlang.backends.common.cache import key_of
from mlang.backends.common.errors import CodegenError
from mlang.backends.common.pipeline import functions_in, run_passes
from mlang.backends.triton import cache, interpreting
from mlang.dialects.model.structure import DefOp
from mlang.support.diagnostics import InternalError

if TYPE_CHECKING:
    import torch
    from xdsl.context import Context

PIPELINE = "O2"
"""The named pipeline that takes a `model.def` to kernel ops."""
INTERPRETER_PIPELINE = (
    "lower-to-tensor,canonicalize,cse,kernel-fusion,choose-block-sizes{interpreter=true}"
)
"""O2 with block sizes for the Triton interpreter (larger: fewer programs)."""


def pipeline() -> str:
    """The pipeline the backend compiles with: O2, or its interpreter variant (unless an
    AOT check asks for a GPU's block sizes)."""
    from mlang.backends.triton.aot import gpu_blocks

    return INTERPRETER_PIPELINE if interpreting() and not gpu_blocks() else PIPELINE


class TritonModel:
    """A model definition compiled to Triton kernels; training runs on the torch backend."""

    def __init__(self, definition: DefOp, functions: cache.Functions, source: str):
        self.definition = definition
        self.functions = functions
        self.source = source
        """The generated Python module."""
        self.arity = {
            name: len(f.function_type.outputs.data) for name, f in definition.methods.items()
        }
        self._torch: CompiledModel | None = None

    def run(self, method: str, params: Mapping[str, torch.Tensor], args: Sequence[object],
            options: RunOptions) -> list[object]:
        """Evaluates `method`: Triton kernels for inference, torch for training."""
        if options.training:
            torch_model = self.torch_model()
            return torch_model.run(method, params, args, options)
        import numpy as np
        import torch

        with torch.no_grad(), np.errstate(all="ignore"):
            result = self.functions[method](params, *args)
        if self.arity[method] == 1:
            return [result]
        return [] if result is None else list(result)

    def torch_model(self) -> CompiledModel:
        """The same definition compiled by the torch backend (for training)."""
        if self._torch is None:
            from mlang.backends.torch.backend import TorchBackend

            self._torch = TorchBackend().compile(self.definition)
        return self._torch


class TritonBackend:
    """Compiles model definitions to Triton kernels, cached by model IR."""

    name = "triton"

    def compile(self, definition: DefOp) -> TritonModel:
        """Lowers, generates and loads `definition`, or finds it in the caches."""
        text = StringIO()
        Printer(text).print_op(definition)
        chosen = pipeline()
        key = key_of(f"model {chosen}\n{text.getvalue()}")
        functions, source = cache.load(key, lambda: generate_definition(definition, None, chosen))
        return TritonModel(definition, functions, source)


def generate_definition(definition: DefOp, ctx: Context | None = None,
                        pipeline: str = PIPELINE) -> str:
    """The generated module of a definition: a clone is lowered (O2), then printed."""
    module = ModuleOp([definition.clone()])
    lower_to_kernel(module, ctx, pipeline)
    return _generate(functions_in(module), f"model.def @{definition.sym_name.data}")


def lower_to_kernel(module: ModuleOp, ctx: Context | None = None, pipeline: str = PIPELINE) -> None:
    """Runs `pipeline` (O2) on `module` (see `backends/common/pipeline.py`)."""
    run_passes(module, pipeline, "triton backend", ctx)


def _generate(functions: Sequence[func.FuncOp], what: str) -> str:
    """Generated source; an op the printer cannot handle is an internal error."""
    from mlang.backends.triton.codegen import generate_module

    try:
        return generate_module(functions)
    except CodegenError as err:
        raise InternalError(None, f"triton backend: cannot generate {what}: {err}") from err


# ----------------------------------------------------------------------- mopt -t triton


def emit_triton(module: ModuleOp, ctx: Context, out: IO[str]) -> None:
    """Writes the generated module of each `model.def` in `module` and of its top-level
    tensor or kernel functions, lowering with O2 whatever is not yet at kernel level; the
    host program (`@main`) is skipped."""
    parts: list[str] = []
    for op in module.ops:
        if isinstance(op, DefOp):
            clone = ModuleOp([op.clone()])
            _lower_for_printing(clone, ctx, PIPELINE)
            parts.append(f"# model.def @{op.sym_name.data}\n"
                         f"{_generate(functions_in(clone), 'model.def @' + op.sym_name.data)}")
    functions = [op for op in module.ops if isinstance(op, func.FuncOp) and not _is_host(op)]
    if functions:
        clone = ModuleOp([f.clone() for f in functions])
        _lower_for_printing(clone, ctx, "lower-to-kernel")
        parts.append(f"# functions\n{_generate(functions_in(clone), 'the module functions')}")
    out.write("\n\n".join(parts))


def _lower_for_printing(module: ModuleOp, ctx: Context, pipeline: str) -> None:
    """Runs `pipeline` on `module` while it holds model or tensor ops outside kernels; on
    kernel-level IR, only `choose-block-sizes`, which gives block sizes to kernels that
    lack them (the printer prints the sizes it finds, and chooses none)."""
    lower_to_kernel(module, ctx, pipeline if _needs_lowering(module) else "choose-block-sizes")


def _needs_lowering(root: Operation) -> bool:
    """Whether `root` still holds model-level or tensor-level ops outside kernels."""
    from mlang.dialects.kernel import KernelOp

    for op in root.walk():
        parent = op.parent_op()
        in_kernel = isinstance(parent, KernelOp)
        if not in_kernel and (op.name.startswith("tensorops.") or op.name.startswith("model.")
                              and op.name not in ("model.param", "model.get_param", "model.def")):
            return True
    return False


def _is_host(f: func.FuncOp) -> bool:
    """Whether a function is the host program: it holds model ops other than reads of
    parameters (`instantiate`, `fit`, ...)."""
    return any(
        op.name.startswith("model.") and op.name != "model.get_param" for op in f.body.ops
    )


__all__ = ["TritonBackend", "TritonModel", "emit_triton", "interpreting"]
