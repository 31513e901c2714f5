"""What a kernel body means: which of its ops run on the host, in the kernel, or as
output layouts. Verifiers and every backend read bodies through this one analysis.

A kernel body is tensorops IR over the block arguments (the kernel's inputs), in three
parts, found from the ops themselves:

- **host prologue**: layout ops (`reshape`, `transpose`, `slice`, `broadcast_to`,
  `concat`) and dense constants whose operands are all block arguments or other host
  values. A backend computes them before the launch (for Triton, as torch views or
  copies in the host wrapper), and the kernel reads the resulting strided tensors.
- **device**: the ops that run inside the kernel: elementwise ops, `broadcast_to` of
  device values (a no-op in the iteration space), and the kernel's
  own core (reductions, one matmul, the attention pattern).
- **epilogue views**: `reshape` and `transpose` of device values that lead only to the
  `kernel.yield`: the kernel writes its result through the inverse view of the output.

Splat constants that no host op reads are literals inside the kernel: device values
that no op computes (they are in none of the three lists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Block, Operation, SSAValue

from mlang.dialects.tensorops import (
    BinaryOp, BroadcastToOp, CastOp, ConcatOp, ConstantOp, DequantizeOp, DropoutOp, IotaOp,
    QuantizeOp, ReshapeOp, ReshapeTailOp, SelectOp, SliceOp, TransposeOp, UnaryOp,
)
from mlang.dialects.tensorops.base import Sizes, sizes_of

VIEW_OPS = (ReshapeOp, ReshapeTailOp, TransposeOp, SliceOp, BroadcastToOp)
"""Layout ops: the host computes them on block arguments as (strided) tensors."""
HOST_OPS = (*VIEW_OPS, ConcatOp, ConstantOp, IotaOp)
"""Ops that run on the host when all their operands are host values."""
EPILOGUE_VIEWS = (ReshapeOp, ReshapeTailOp, TransposeOp)
"""Layout ops a kernel can apply to its outputs by writing through an inverse view."""
ELEMENTWISE_OPS = (UnaryOp, BinaryOp, SelectOp, CastOp, QuantizeOp, DequantizeOp, DropoutOp)
"""Elementwise ops: each output element is a function of the aligned input elements.
(Kernels run inference: dropout is the identity in them.)"""


class Role(Enum):
    """Where a body value is computed."""

    HOST = "host"
    DEVICE = "device"
    EPILOGUE = "epilogue"


@dataclass
class Output:
    """One yielded value: a root value and the epilogue views applied to it, in order."""

    value: SSAValue
    root: SSAValue
    views: list[Operation] = field(default_factory=list[Operation])


@dataclass
class Body:
    """A kernel body split into host prologue, device ops and epilogue views."""

    block: Block
    host: list[Operation]
    device: list[Operation]
    epilogue: list[Operation]
    roles: dict[SSAValue, Role]
    outputs: list[Output]

    def is_host(self, value: SSAValue) -> bool:
        """Whether `value` is a block argument or computed by the host prologue."""
        return self.roles[value] is Role.HOST

    def device_inputs(self) -> list[SSAValue]:
        """Host values that device ops read, in order of first use."""
        seen: dict[SSAValue, None] = {}
        for op in self.device:
            for operand in op.operands:
                if self.is_host(operand) and not is_splat(operand):
                    seen.setdefault(operand)
        return list(seen)


def is_splat(value: SSAValue) -> bool:
    """Whether `value` is a splat `tensorops.constant` (a literal inside a kernel)."""
    owner = value.owner
    return isinstance(owner, ConstantOp) and owner.splat_value() is not None


def is_elementwise(op: Operation) -> bool:
    """Whether `op` is an elementwise tensorops op."""
    return isinstance(op, ELEMENTWISE_OPS)


def value_shape(value: SSAValue) -> Sizes:
    """The shape of a tensor value, `?` as None."""
    assert isinstance(value.type, TensorType)
    return sizes_of(value.type)


def _is_host_op(op: Operation, roles: dict[SSAValue, Role]) -> bool:
    """Whether `op` runs on the host: a layout op or constant over host values; a splat
    constant only when a host op uses it (else it is a literal in the kernel)."""
    if not isinstance(op, HOST_OPS):
        return False
    if isinstance(op, ConstantOp):
        return op.splat_value() is None or any(
            isinstance(use.operation, HOST_OPS) and not isinstance(use.operation, ConstantOp)
            for use in op.result.uses
        )
    return all(roles.get(v) is Role.HOST for v in op.operands)


def _only_reaches_yield(op: Operation) -> bool:
    """Whether every use of `op`'s result is the terminator or another epilogue view
    that itself only reaches it."""
    block = op.parent_block()
    for use in op.results[0].uses:
        user = use.operation
        if block is not None and user is block.last_op:
            continue
        if not isinstance(user, EPILOGUE_VIEWS) or not _only_reaches_yield(user):
            return False
    return True


def split_body(block: Block) -> Body:
    """Classifies every op of a kernel body (all but its terminator)."""
    roles: dict[SSAValue, Role] = {arg: Role.HOST for arg in block.args}
    host: list[Operation] = []
    device: list[Operation] = []
    epilogue: list[Operation] = []
    literals: list[Operation] = []
    ops = list(block.ops)
    for op in ops[:-1]:
        if _is_host_op(op, roles):
            role, part = Role.HOST, host
        elif isinstance(op, ConstantOp):
            role, part = Role.DEVICE, literals  # a splat: a literal in the kernel
        elif isinstance(op, EPILOGUE_VIEWS) and _only_reaches_yield(op):
            role, part = Role.EPILOGUE, epilogue
        else:
            role, part = Role.DEVICE, device
        part.append(op)
        for result in op.results:
            roles[result] = role
    outputs = [_trace_output(v, roles) for v in (ops[-1].operands if ops else ())]
    return Body(block, host, device, epilogue, roles, outputs)


def _trace_output(value: SSAValue, roles: dict[SSAValue, Role]) -> Output:
    """Follows epilogue views back from a yielded value to the value they start from."""
    views: list[Operation] = []
    root = value
    while roles.get(root) is Role.EPILOGUE:
        owner = root.owner
        assert isinstance(owner, Operation)
        views.append(owner)
        root = owner.operands[0]
    return Output(value, root, views[::-1])
