"""The torch backend as a `Backend`: a `model.def` lowered to tensorops, printed as Python
calling PyTorch, and executed.

    definition (model level) --lower-to-tensor--> tensorops --select-torch-calls-->
        tensorops and torchcall ops --codegen--> Python source --exec

`TorchBackend.compile` caches its result by a sha256 of the definition's model-level IR
text and of the compiler's sources, in memory and on disk beside
`codegen.compile_module`'s entries (`cache_dir("torch")`, files `model-KEY.py`; see
`backends/common/cache.py`). A disk hit neither lowers nor generates: it reads the
generated source, checks it against its hash and executes it, so that a second `mrun` of
the same program starts in milliseconds. `stats` counts what each compile did, for tests
and benchmarks.

Methods run as `fn(params, *args, training=...)`; training goes through the generated
code and PyTorch autograd. A quantized model is a tensor-level `model.def` already (int8
weights, scales and activation quantization are ops), so lowering leaves it as it is and
it runs here like any other, its int8 arithmetic printed as torch operations.

`emit_torch` is `mopt -t torch`: the generated module of every `model.def` (lowered first
when it still holds model-level ops) and of the module's tensor-level functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from io import StringIO
from typing import IO, TYPE_CHECKING

import torch
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.printer import Printer

from mlang.backends import RunOptions
from mlang.backends.common.cache import cache_dir, key_of, load_or_generate
from mlang.backends.common.errors import CodegenError
from mlang.backends.common.pipeline import functions_in, run_passes
from mlang.backends.torch import codegen
from mlang.dialects.model.structure import DefOp, GetParamOp, ParamOp
from mlang.support.collector import collector_paused
from mlang.support.diagnostics import CompileError, InternalError
from mlang.support.ir_verification import op_loc

if TYPE_CHECKING:
    from xdsl.context import Context

LOWERING = "lower-to-tensor"
"""The named pipeline that takes a `model.def` to tensorops."""


@dataclass
class CacheStats:
    """What `TorchBackend.compile` did since the process started (or the last reset)."""

    memory_hits: int = 0
    disk_hits: int = 0
    lowerings: int = 0

    def reset(self) -> None:
        """Sets every count to zero."""
        self.memory_hits = self.disk_hits = self.lowerings = 0


stats = CacheStats()
_compiled: dict[str, codegen.Functions] = {}


class TorchModel:
    """A model definition compiled to torch functions, one per method."""

    def __init__(self, definition: DefOp, functions: codegen.Functions, key: str):
        self.definition = definition
        self.functions = functions
        self.key = key
        """The cache key: `model-KEY.py` under `cache_dir("torch")` holds the source."""
        self.arity = {
            name: len(f.function_type.outputs.data) for name, f in definition.methods.items()
        }

    def run(self, method: str, params: Mapping[str, torch.Tensor], args: Sequence[object],
            options: RunOptions) -> list[object]:
        """Evaluates `method` with the given parameters and inputs."""
        result = self.functions[method](params, *args, training=options.training)
        if self.arity[method] == 1:
            return [result]
        return [] if result is None else list(result)


class TorchBackend:
    """Compiles model definitions to generated PyTorch code, cached by model IR."""

    name = "torch"

    def compile(self, definition: DefOp) -> TorchModel:
        """Lowers, generates and loads `definition`, or finds it in the caches."""
        key = cache_key(definition)
        functions = _compiled.get(key)
        if functions is not None:
            stats.memory_hits += 1
            return TorchModel(definition, functions, key)
        loaded = load_or_generate(
            cache_dir("torch") / f"model-{key}.py", lambda: generate_definition(definition),
            lambda python, path: codegen.load_module(python, str(path or "<mlang-torch>")))
        stats.disk_hits += loaded.hit
        _compiled[key] = loaded.value
        return TorchModel(definition, loaded.value, key)


def forget_compiled() -> None:
    """Empties the in-memory cache; the disk cache stays."""
    _compiled.clear()


def cache_key(definition: DefOp) -> str:
    """A sha256 of the definition's model-level IR text and of the compiler's sources."""
    text = StringIO()
    Printer(text).print_op(definition)
    return key_of(text.getvalue())


@collector_paused()  # lowering and printing build IR and text, and free little of it
def generate_definition(definition: DefOp, ctx: Context | None = None) -> str:
    """The Python source of a definition's methods: a clone is lowered, then printed."""
    stats.lowerings += 1
    module = ModuleOp([definition.clone()])
    lower_to_tensor(module, ctx)
    run_passes(module, codegen.SELECTION, "torch backend", ctx)
    return _generate(functions_in(module), f"model.def @{definition.sym_name.data}",
                     select=False)


def lower_to_tensor(module: ModuleOp, ctx: Context | None = None) -> None:
    """Runs the `lower-to-tensor` pipeline on `module` (see `backends/common/pipeline.py`)."""
    run_passes(module, LOWERING, "torch backend", ctx)


def _generate(functions: Iterable[func.FuncOp], what: str, select: bool = True) -> str:
    """Generated source (`select`: after `select-torch-calls`); an op the printer cannot
    handle is an internal error."""
    try:
        return codegen.generate_module(functions, select)
    except CodegenError as err:
        raise InternalError(None, f"torch backend: cannot generate {what}: {err}") from err


# ------------------------------------------------------------------------ mopt -t torch


def emit_torch(module: ModuleOp, ctx: Context, out: IO[str]) -> None:
    """Writes the generated Python of each `model.def` in `module` (lowered first if it
    holds model-level ops), then of its tensor-level top-level functions; the host
    program (`@main` and any function of model-level ops) is skipped."""
    kernel_level = next((op for op in module.walk() if op.name.startswith("kernel.")), None)
    if kernel_level is not None:
        raise CompileError(op_loc(kernel_level), f"-t torch prints model- or tensor-level IR; "
                                                 f"'{kernel_level.name}' is kernel level "
                                                 "(-t triton prints it)")
    parts: list[str] = []
    for op in module.ops:
        if isinstance(op, DefOp):
            parts.append(f"# model.def @{op.sym_name.data}\n{_emit_definition(op, ctx)}")
    tensor_level = [
        op for op in module.ops if isinstance(op, func.FuncOp) and not _has_model_ops(op)
    ]
    if tensor_level:
        parts.append(f"# functions\n{_generate(tensor_level, 'the module functions')}")
    out.write("\n\n".join(parts))


def _emit_definition(definition: DefOp, ctx: Context) -> str:
    """The generated source of one definition, lowering it if needed."""
    if not _has_model_ops(definition):
        return _generate(functions_in(definition), f"model.def @{definition.sym_name.data}")
    return generate_definition(definition, ctx)


_TENSOR_LEVEL: tuple[type[Operation], ...] = (ParamOp, GetParamOp, DefOp)


def _has_model_ops(root: Operation) -> bool:
    """Whether `root` holds ops of the `model` dialect other than parameters."""
    return any(
        op.name.startswith("model.") and not isinstance(op, _TENSOR_LEVEL) for op in root.walk()
    )

