"""`lower-linear`: linear layers and matrix products to tensor ops.

In: `model.linear` and `model.matmul` in model methods.
Out, for `y = linear(x, weight, bias)` with `x: [..., in]`, `weight: [out, in]`:

    %wt = tensorops.transpose %weight [1, 0]    // [in, out]
    %xw = tensorops.matmul %x, %wt              // [..., out], batch dimensions broadcast
    %y  = tensorops.add %xw, %bias              // only with a bias

and `model.matmul` becomes `tensorops.matmul` (the same `torch.matmul` semantics).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import functions as fn
from mlang.dialects.model import layers
from mlang.dialects.tensorops import MatmulOp
from mlang.passes.lowering import Lowering, ModelOpLowering, emit_linear, rewrite_model_methods


class LowerLinear(ModelOpLowering[layers.LinearOp]):
    """`model.linear` -> transpose of the weight, matmul, add of the bias."""

    source = layers.LinearOp

    def lower(self, op: layers.LinearOp, b: Lowering) -> SSAValue:
        return emit_linear(b, op.input, op.weight, op.bias)


class LowerMatmul(ModelOpLowering[fn.MatmulOp]):
    """`model.matmul` -> `tensorops.matmul`."""

    source = fn.MatmulOp

    def lower(self, op: fn.MatmulOp, b: Lowering) -> SSAValue:
        return b(MatmulOp(op.lhs, op.rhs))


@dataclass(frozen=True)
class LowerLinearPass(ModulePass):
    """Lowers `model.linear` and `model.matmul` in model methods to tensor ops."""

    name = "lower-linear"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [LowerLinear(), LowerMatmul()])
