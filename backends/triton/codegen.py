"""The Triton code generator: a printer over kernel-level IR.

Each `func.func` (its tensorops already grouped into kernel ops by `lower-to-kernel`,
whose `choose-block-sizes` gives each tiled kernel the block sizes printed here) becomes
a host function `def name(params, *args, training=False)` with the torch backend's
conventions: `model.get_param`, calls and returns are printed by the torch printer, each
`kernel.extern` as the torch code of its one op, and every other kernel op as a call of
its host wrapper, which launches its `@triton.jit` function:

    @triton.jit
    def forward_pointwise0_kernel(in0, out0, numel, size1, ..., BLOCK: tl.constexpr):
        ...
    def forward_pointwise0(device, x):
        ...
    def forward(params, x, training=False):
        device = launch.device_of(params, x)
        v0 = forward_pointwise0(device, x)
        return v0

A kernel that a declared rule (`fallbacks.ARCH_FALLBACKS`: int8 products) says older GPUs
cannot compile is printed twice: `if launch.falls_back(device, 80):` its body as torch
code, else the wrapper call; the module lists those kernels in `ARCH_FALLBACKS`, which
the AOT check reads.

`generate_module(functions)` returns the source of such a module, headed by a summary
of each function's kernels. Nothing here imports triton or torch: printing needs neither.
All the context a printer needs is passed to it explicitly.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import singledispatchmethod

from xdsl.dialects import func
from xdsl.ir import Operation

from mlang.backends.common.errors import CodegenError
from mlang.backends.common.names import python_names
from mlang.backends.torch.context import RESERVED, FunctionContext, kernels_import
from mlang.backends.torch.emitter import TorchEmitter
from mlang.backends.triton.fallbacks import arch_fallback
from mlang.backends.triton.kernels import KernelPrinter, KernelSource
from mlang.backends.triton.matmul import MatmulPrinter
from mlang.backends.triton.pointwise import PointwisePrinter
from mlang.backends.triton.reduction import ReductionPrinter
from mlang.dialects.kernel import (
    AttentionKernelOp, ExternKernelOp, KernelOp, MatmulKernelOp, PointwiseKernelOp,
    ReductionKernelOp, TiledKernelOp, YieldOp,
)

__all__ = ["generate_module", "kernel_summary"]

PRINTERS: dict[type[TiledKernelOp], type[KernelPrinter]] = {
    PointwiseKernelOp: PointwisePrinter,
    ReductionKernelOp: ReductionPrinter,
    MatmulKernelOp: MatmulPrinter,
}


def _printer(op: TiledKernelOp) -> type[KernelPrinter]:
    """The printer of a kernel kind (attention's lives in its own module)."""
    if isinstance(op, AttentionKernelOp):
        from mlang.backends.triton.attention import AttentionPrinter

        return AttentionPrinter
    if type(op) not in PRINTERS:
        raise CodegenError(f"the triton backend cannot handle '{op.name}'")
    return PRINTERS[type(op)]


@dataclass
class ModuleContext:
    """What the module printer has gathered: the kernels printed so far."""

    kernels: list[KernelSource] = field(default_factory=list[KernelSource])
    arch_fallbacks: dict[str, int] = field(default_factory=dict[str, int])
    """The jit functions that GPUs below an architecture skip (for PyTorch), by name."""


class HostEmitter(TorchEmitter):
    """Prints host functions: kernel ops become wrapper calls, the rest torch code."""

    def __init__(self, module: ModuleContext):
        self.module = module
        self.prefix = ""
        self.count = 0
        self.taken: dict[str, str] = {}

    def function(self, f: func.FuncOp, functions: Mapping[str, str]) -> list[str]:
        """The lines of `def name(params, *args, training=False):` for one function."""
        if f.is_declaration:
            raise CodegenError(f"function @{f.sym_name.data} has no body")
        self.taken = {**functions, **{f"#{n}": n for n in ("launch", "triton", "tl", "dl")}}
        ctx = FunctionContext(self.taken)
        self.prefix, self.count = functions[f.sym_name.data], 0
        args = [ctx.bind(arg) for arg in f.body.block.args]
        lines = [
            f"def {self.prefix}({', '.join(['params', *args])}, training=False):",
            f'    """@{f.sym_name.data}: {f.function_type}"""',
        ]
        ctx.lines.append(f"device = launch.device_of({', '.join(['params', *args])})")
        for op in f.body.block.ops:
            self.emit(op, ctx)
        return lines + [f"    {line}" for line in ctx.lines]

    @singledispatchmethod
    def emit(self, op: Operation, ctx: FunctionContext) -> None:
        """Appends the statements computing `op` to `ctx`."""
        super().emit(op, ctx)

    @emit.register
    def _extern(self, op: ExternKernelOp, ctx: FunctionContext) -> None:
        for result, value in zip(op.outputs, self._torch_body(op, ctx)):
            ctx.names[result] = value

    def _torch_body(self, op: KernelOp, ctx: FunctionContext) -> list[str]:
        """Appends the torch code of a kernel's body to `ctx`; the names it yields."""
        for arg, value in zip(op.block.args, op.inputs):
            ctx.names[arg] = ctx.use(value)
        for inner in op.block.ops:
            if not isinstance(inner, YieldOp):
                super().emit(inner, ctx)
        last = op.block.last_op
        assert last is not None
        return [ctx.use(value) for value in last.operands]

    @emit.register
    def _kernel(self, op: TiledKernelOp, ctx: FunctionContext) -> None:
        name = f"{self.prefix}_{op.KIND}{self.count}"
        self.count += 1
        self.taken[f"#{name}"] = name  # no value may take the wrapper's name
        sizes = op.sizes()
        if sizes is None:
            raise CodegenError(f"'{op.name}' has no block sizes: run choose-block-sizes first")
        self.module.kernels.append(_printer(op)(op, name, sizes).print())
        args = ", ".join(["device", *(ctx.use(v) for v in op.inputs)])
        names = ", ".join(ctx.bind(r) for r in op.outputs)
        call = f"{names} = {name}({args})" if names else f"{name}({args})"
        rule = arch_fallback(op)
        if rule is None:
            ctx.lines.append(call)
            return
        self.module.arch_fallbacks[f"{name}_kernel"] = rule.below
        outer, ctx.lines = ctx.lines, []
        yielded = self._torch_body(op, ctx)
        if names:
            ctx.lines.append(f"{names} = {', '.join(yielded)}")
        outer.append(f"if launch.falls_back(device, {rule.below}):  # {rule.kind}")
        outer += [f"    {line}" for line in ctx.lines or ["pass"]]
        outer += ["else:", f"    {call}"]
        ctx.lines = outer


def kernel_summary(f: func.FuncOp) -> str:
    """One line: a function's kernels by kind, and the ops handed to PyTorch."""
    kinds: Counter[str] = Counter()
    extern: Counter[str] = Counter()
    for op in f.body.block.ops:
        if isinstance(op, KernelOp):
            kinds[op.KIND] += 1
        if isinstance(op, ExternKernelOp):
            extern[op.payload().name] += 1
    counts = ", ".join(f"{kinds[k]} {k}" for k in sorted(kinds)) or "none"
    torch_ops = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in sorted(extern.items()))
    total = sum(kinds.values())
    return f"@{f.sym_name.data}: {total} kernels ({counts}); torch: {torch_ops or 'none'}"


def generate_module(functions: Iterable[func.FuncOp]) -> str:
    """The source of a Python module with one host function per `func.func` and the
    Triton kernels they launch."""
    functions = list(functions)
    names = python_names(functions, RESERVED)
    module = ModuleContext()
    emitter = HostEmitter(module)
    hosts = [emitter.function(f, names) for f in functions]
    parts = [
        '"""Generated by the mlang triton backend from kernel IR."""',
        "",
        *(f"# {kernel_summary(f)}" for f in functions),
        "",
        "import torch",
        "import triton",
        "import triton.language as tl",
        "",
        "from mlang.backends.triton import device_lib as dl",
        "from mlang.backends.triton import launch",
        # the torch backend's helpers that extern ops and the PyTorch forms of kernels
        # (`ARCH_FALLBACKS`) call
        *kernels_import("\n".join(line for host in hosts for line in host)),
    ]
    for kernel in module.kernels:
        parts += ["", "", *kernel.jit, "", "", *kernel.wrapper]
    for host in hosts:
        parts += ["", "", *host]
    table = ", ".join(f"{json.dumps(symbol)}: {name}" for symbol, name in names.items())
    parts += ["", "", f"FUNCTIONS = {{{table}}}"]
    if module.arch_fallbacks:
        parts.append(f"ARCH_FALLBACKS = {json.dumps(module.arch_fallbacks)}")
    return "\n".join([*parts, ""])
