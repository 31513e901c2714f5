"""`lower-creation`: tensor constants, creation ops and random samples to tensor ops.

In: model methods with tensor constants (`arith.constant dense<...>`), `model.zeros ones
full arange one_hot` and random samples (`model.randn rand`).
Out:

- constants and `zeros ones full arange` become `tensorops.constant`; `randn` and `rand`
  become `tensorops.random "normal"` and `"uniform"`, with their seed;
- `one_hot(ids, n)` compares `ids` (given a trailing size-1 dimension) with the constant
  `[0, ..., n-1]`, then casts.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp, TensorType, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model import functions as fn
from mlang.dialects.model.base import int_prop
from mlang.dialects.tensorops import ConstantOp, RandomOp
from mlang.dialects.tensorops.base import tensor_type_of
from mlang.passes.lowering import (
    Lowering, ModelOpLowering, element, emit_one_hot_mask, rewrite_model_methods,
)

FILLS: dict[type[Operation], float] = {fn.ZerosOp: 0.0, fn.OnesOp: 1.0}
"""The value of each creation op without a `value` property."""


class LowerOneHot(ModelOpLowering[fn.OneHotOp]):
    """`one_hot(ids, n)` -> `ids[..., None] == [0, ..., n-1]`, cast to i64."""

    source = fn.OneHotOp

    def lower(self, op: fn.OneHotOp, b: Lowering) -> SSAValue:
        n = op.n.value.data
        classes = b(ConstantOp.from_values(TensorType(i64, [n]), list(range(n))))
        return b.cast(emit_one_hot_mask(b, op.ids, classes), element(op.result))


class LowerTensorConstant(ModelOpLowering[arith.ConstantOp]):
    """`arith.constant dense<...> : tensor<...>` -> `tensorops.constant`."""

    source = arith.ConstantOp

    def lower(self, op: arith.ConstantOp, b: Lowering) -> SSAValue:
        if not isinstance(op.value, DenseIntOrFPElementsAttr):
            raise VerifyException(f"{op.value} is not a tensor constant")
        return b(ConstantOp(op.value))


class LowerCreation(ModelOpLowering[fn.CreationBase]):
    """`zeros`, `ones`, `full` -> a splat `tensorops.constant`; `arange` -> a dense one;
    `randn`, `rand` -> `tensorops.random`."""

    source = (fn.ZerosOp, fn.OnesOp, fn.FullOp, fn.ArangeOp, fn.RandnOp, fn.RandOp)

    def lower(self, op: fn.CreationBase, b: Lowering) -> SSAValue:
        t = tensor_type_of(op.result)
        if isinstance(op, (fn.RandnOp, fn.RandOp)):
            distribution = "normal" if isinstance(op, fn.RandnOp) else "uniform"
            return b(RandomOp(t, distribution, int_prop(op.seed)))
        if isinstance(op, fn.ArangeOp):
            return b(ConstantOp.from_values(t, list(range(t.get_shape()[0]))))
        value = op.value.value.data if isinstance(op, fn.FullOp) else FILLS[type(op)]
        return b.constant(value, t.element_type, t.get_shape())


@dataclass(frozen=True)
class LowerCreationPass(ModulePass):
    """Lowers constants, creation ops and random samples in model methods to tensor ops."""

    name = "lower-creation"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [LowerOneHot(), LowerTensorConstant(), LowerCreation()])
