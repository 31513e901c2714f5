"""IR verification whose errors name the failing op's source location.

xDSL's `Operation.verify()` raises a `VerifyException` that does not say which op
failed. `verify_located` walks the IR itself, verifying each op alone
(`verify(verify_nested_ops=False)`, innermost ops first, as xDSL's recursive verifier
orders them) and reports the first failure at that op's `FileLineColLoc`, or that of
its closest located ancestor. mopt's parser gives every op the location of its text,
so that verifier errors in a `.mlir` input point at the failing op's line.
"""

from __future__ import annotations

import re

from xdsl.dialects.builtin import FileLineColLoc
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.traits import NoTerminator

from mlang.support.diagnostics import CompileError, Loc
from mlang.support.pass_instrumentation import PassInstrumentation
from mlang.support.pass_manager import OpPipelinePass


def op_loc(op: Operation) -> Loc | None:
    """The source location of `op`, or of its closest ancestor that has one."""
    current: Operation | None = op
    while current is not None:
        location = current.location
        if isinstance(location, FileLineColLoc):
            return Loc(location.filename.data, location.line.data, location.column.data)
        current = current.parent_op()
    return None


def verify_located(op: Operation) -> None:
    """Verifies `op` and everything nested in it; raises a located CompileError on failure."""
    for region in op.regions:
        for block in region.blocks:
            if not block.ops and _needs_terminator(op, len(region.blocks)):
                raise CompileError(
                    op_loc(op),
                    f"'{op.name}' op contains an empty block in a region that expects a terminator",
                )
            for child in block.ops:
                verify_located(child)
    try:
        op.verify(verify_nested_ops=False)
    except Exception as err:  # xDSL verifiers raise VerifyException, ValueError and more.
        where = _redefinition(op, str(err)) or op
        raise CompileError(op_loc(where), _op_message(op, str(err))) from err


def _redefinition(table: Operation, message: str) -> Operation | None:
    """The second op that defines a symbol, where `message` is a symbol table's
    'Redefinition of symbol "w"': that op, not the table, is what is wrong."""
    match = _REDEFINITION.search(message)
    if match is None:
        return None
    defining = [child for region in table.regions for block in region.blocks
                for child in block.ops
                if (name := child.properties.get("sym_name")) is not None
                and getattr(name, "data", None) == match.group(1)]
    return defining[1] if len(defining) > 1 else None


_REDEFINITION = re.compile(r'Redefinition of symbol "([^"]*)"')


def _op_message(op: Operation, message: str) -> str:
    """One line that names the op, as MLIR's `'arith.addi' op requires ...`."""
    message = " ".join(line.strip() for line in message.splitlines() if line.strip())
    return message if op.name in message else f"'{op.name}' op {message}"


def _needs_terminator(op: Operation, num_blocks: int) -> bool:
    """Whether an empty block in a region of `op` is invalid (xDSL's `Block.verify` rule)."""
    return num_blocks == 1 and not op.has_trait(NoTerminator)


class VerifyEachPass(PassInstrumentation):
    """Verifies the op each pass ran on; failures become errors naming the pass."""

    def after_pass(self, pass_: ModulePass, op: Operation) -> None:
        """Verifies `op` unless `pass_` only ran nested passes, which verified their ops."""
        if isinstance(pass_, OpPipelinePass):
            return
        try:
            verify_located(op)
        except CompileError as err:
            message = f"IR is invalid after pass '{pass_.name}': {err.message}"
            raise CompileError(err.loc, message, err.notes) from err
