"""`wrap-kernels`: every tensorops op left outside a kernel becomes one.

In: tensorops functions after the fusion passes. Out: functions in which every tensorops
op is inside exactly one kernel op (what is legal afterwards: kernel ops, `model.get_param`,
`func.call` and `func.return`). An op left alone becomes the kernel of its kind when one
fits (`kernel.pointwise` for an elementwise op, `kernel.reduction` for a reduction or an
argmax over the last axis, `kernel.matmul` for a product of matrices), else
`kernel.extern`: the op is handed to PyTorch (convolutions, pooling, gather, reductions
and argmax over other axes, layout ops that no kernel absorbed, ...). Its statistics
count the kernels of each kind in the module afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation
from xdsl.passes import ModulePass

from mlang.dialects.kernel import (
    AttentionKernelOp, ExternKernelOp, KernelOp, MatmulKernelOp, PointwiseKernelOp,
    ReductionKernelOp,
)
from mlang.dialects.kernel.body import ELEMENTWISE_OPS
from mlang.dialects.kernel.ops import KERNEL_REDUCTIONS
from mlang.dialects.kernel.outline import outline
from mlang.dialects.tensorops import BroadcastToOp, ConstantOp, IotaOp, MatmulOp, TensorOp
from mlang.support.pass_statistics import Statistic


def kernel_kinds(op: Operation) -> list[type[KernelOp]]:
    """The kernel kinds to try for a lone op, best first (extern always fits)."""
    if isinstance(op, (*ELEMENTWISE_OPS, BroadcastToOp, IotaOp)):
        return [PointwiseKernelOp, ExternKernelOp]
    if isinstance(op, KERNEL_REDUCTIONS):
        return [ReductionKernelOp, ExternKernelOp]
    if isinstance(op, MatmulOp):
        return [MatmulKernelOp, ExternKernelOp]
    return [ExternKernelOp]


def wrap_block(block: Block) -> None:
    """Wraps each tensorops op directly in `block` in a kernel of its own. Constants go
    last: a kernel clones the constants it reads, so most need no kernel of their own."""
    ops = [op for op in block.ops if isinstance(op, TensorOp)]
    constants = [op for op in ops if isinstance(op, ConstantOp)]
    for op in [op for op in ops if not isinstance(op, ConstantOp)] + constants:
        if op.parent_block() is not block:
            continue  # erased: a dead constant whose readers cloned it
        if not any(r.uses for r in op.results) and _is_pure(op):
            block.erase_op(op)
            continue
        for kind in kernel_kinds(op):
            if outline(kind, [op]) is not None:
                break


def _is_pure(op: Operation) -> bool:
    """Whether an unused op may simply be dropped (all but random ones and batch norms)."""
    from mlang.dialects.tensorops import EFFECT_OPS

    return not isinstance(op, EFFECT_OPS)


@dataclass(frozen=True)
class WrapKernels(ModulePass):
    """Puts every tensorops op left outside a kernel into one (extern if no kind fits)."""

    name = "wrap-kernels"

    pointwise: ClassVar[Statistic] = Statistic("pointwise-kernels", "Pointwise kernels")
    reduction: ClassVar[Statistic] = Statistic("reduction-kernels", "Reduction kernels")
    matmul: ClassVar[Statistic] = Statistic("matmul-kernels", "Matmul kernels")
    attention: ClassVar[Statistic] = Statistic("attention-kernels", "Attention kernels")
    extern: ClassVar[Statistic] = Statistic("extern-kernels", "Ops handed to PyTorch")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Wraps in every function, then counts the module's kernels by kind."""
        for f in [f for f in op.walk() if isinstance(f, func.FuncOp)]:
            if not f.is_declaration:
                wrap_block(f.body.block)
        counters: dict[type[Operation], Statistic] = {
            PointwiseKernelOp: self.pointwise, ReductionKernelOp: self.reduction,
            MatmulKernelOp: self.matmul, AttentionKernelOp: self.attention,
            ExternKernelOp: self.extern,
        }
        for kernel in op.walk():
            if type(kernel) in counters:
                counters[type(kernel)].add()
