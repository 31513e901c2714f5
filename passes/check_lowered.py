"""`check-lowered`: states what is legal at a level of IR, and fails on anything else.

In and out: the same IR, unchanged; the pass only checks. At `level=tensor` (the end of
`lower-to-tensor`) a method of a `model.def` may hold:

- any `tensorops` op;
- `model.get_param`: parameters stay symbols, resolved against the weights at run time;
- `arith.constant` (tensor constants; the lowering turns them into `tensorops.constant`);
- `func.return` and `func.call`.

The `model.def` itself holds `model.param`s and `func.func`s, as its verifier checks. The
host program (`func.func @main`) is not checked: its model ops are the runtime's to
evaluate. Any other op in a method is an error at the op's location that names the op and
its operand types; the first is the error, each further one a note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from mlang.dialects.model.structure import DefOp
from mlang.passes.lowering import is_tensor_level
from mlang.support.diagnostics import CompileError, Note
from mlang.support.ir_verification import op_loc


LEVELS: dict[str, Callable[[Operation], bool]] = {"tensor": is_tensor_level}
"""What each level allows in a model method."""

def illegal_ops(module: ModuleOp, legal: Callable[[Operation], bool]) -> list[Operation]:
    """The ops in model methods that `legal` rejects, in order; not the ops inside one
    (a fused kernel's body is its own, once the kernel is refused)."""
    return [
        op
        for model in module.walk()
        if isinstance(model, DefOp)
        for method in model.methods.values()
        for op in _illegal_in(method.body.block.ops, legal)
    ]


def _illegal_in(ops: Iterable[Operation],
                legal: Callable[[Operation], bool]) -> Iterator[Operation]:
    """The ops of `ops`, and of the regions of the legal ones, that `legal` rejects."""
    for op in ops:
        if not legal(op):
            yield op
            continue
        for region in op.regions:
            for block in region.blocks:
                yield from _illegal_in(block.ops, legal)


def describe(op: Operation, level: str) -> str:
    """Why `op` is an error: its name and operand types."""
    if op.dialect_name() == "kernel":
        return (f"'{op.name}' op is kernel IR, past {level} level: lowering to {level} level "
                "starts from model ops")
    types = ", ".join(str(v.type) for v in op.operands) or "no operands"
    return (f"'{op.name}' op is not legal at {level} level: no lowering handles it "
            f"(operands: {types})")


@dataclass(frozen=True)
class CheckLowered(ModulePass):
    """Fails, at the op's location, if a model method holds an op illegal at `level`."""

    name = "check-lowered"

    level: str = "tensor"

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown level '{self.level}', expected one of {', '.join(LEVELS)}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        illegal = illegal_ops(op, LEVELS[self.level])
        if not illegal:
            return
        first, *others = illegal
        notes = [Note(op_loc(o), describe(o, self.level)) for o in others]
        raise CompileError(op_loc(first), describe(first, self.level), notes)
