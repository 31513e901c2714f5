"""What `mopt -t NAME` can emit: the target registry.

A target is a callable `(module, ctx, out)` that writes the module, in its own output
language, to the text stream `out`; it raises `CompileError` for IR it cannot emit.
Registering one is a line in `_TARGETS`. Import heavy modules (torch, triton) inside
the callable, never at the top of this file, so that `mopt --help` stays fast, as `_torch`
does: `-t torch` prints the PyTorch code generated for each `model.def` (lowered to tensor
ops first) and for the tensor-level functions of an `.mlir` input.

The `mlir` target's printing flags (`--print-op-generic`, `--mlir-print-debuginfo`) are
its fields, which mopt sets from its command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from xdsl.context import Context
    from xdsl.dialects.builtin import ModuleOp

Target = Callable[["ModuleOp", "Context", IO[str]], None]


@dataclass(frozen=True)
class MlirTarget:
    """Prints the module as MLIR text, in generic form and with locations if asked."""

    generic: bool = False
    debuginfo: bool = False

    def __call__(self, module: ModuleOp, ctx: Context, out: IO[str]) -> None:
        """Writes `module` to `out`."""
        from mlang.support.ir_printing import IRPrinter

        IRPrinter(self.generic, self.debuginfo).print_op(module, out)


def _torch(module: ModuleOp, ctx: Context, out: IO[str]) -> None:
    """Writes the generated PyTorch module of each model definition (lowered first)."""
    from mlang.backends.torch.backend import emit_torch

    emit_torch(module, ctx, out)


def _triton(module: ModuleOp, ctx: Context, out: IO[str]) -> None:
    """Writes the generated Triton module of each model definition (lowered with O2 first)."""
    from mlang.backends.triton.backend import emit_triton

    emit_triton(module, ctx, out)


_TARGETS: dict[str, Target] = {
    "mlir": MlirTarget(),
    "torch": _torch,
    "triton": _triton,
}


def get_all_targets() -> dict[str, Target]:
    """Returns every target name mapped to its emitter."""
    return dict(_TARGETS)
