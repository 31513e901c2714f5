"""`lower-arithmetic`: elementwise functions, operators and conversions to tensor ops.

In: model methods with the `model` dialect's elementwise math functions (`tanh exp log sqrt
rsqrt abs sin cos neg not sigmoid erf`), arithmetic, comparisons and logic, `where`, `clamp`
and `cast`.
Out: tensorops, one pattern per kind of op:

- functions with a tensorops twin map one to one;
- binary arithmetic and logic compute in the result's element type, comparisons in the
  operands' common type (torch's promotion), their operands cast first where they differ;
- `where` is `select`; `clamp(x, lo, hi) = minimum(maximum(x, lo), hi)`, bounds converted
  to the element type (rounded inwards for integers); `cast` is `cast`.

Integer inputs of float functions are cast to the result's float type first, as PyTorch
does. Ops whose types the tensorops cannot express (booleans in arithmetic, integer
`pow`) are left for `check-lowered` to report. Activations (`relu gelu silu`, softmax)
are `lower-activations`' work.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import AnyFloat, FixedBitwidthType, IntegerType, ModuleOp, f32
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model import functions as fn
from mlang.dialects.tensorops import (
    AbsOp, AddOp, AndOp, CosOp, DivOp, EqOp, ErfOp, ExpOp, GeOp, GtOp, LeOp, LogOp, LtOp,
    MaximumOp, MinimumOp, MulOp, NegOp, NeOp, NotOp, OrOp, PowOp, RsqrtOp, SelectOp, SigmoidOp,
    SinOp, SqrtOp, SubOp, TanhOp,
)
from mlang.passes.lowering import Lowering, ModelOpLowering, element, rewrite_model_methods

Unary = Callable[[SSAValue], Operation]
Binary = Callable[[SSAValue, SSAValue], Operation]

UNARY: dict[type[Operation], Unary] = {
    fn.TanhOp: TanhOp, fn.ExpOp: ExpOp, fn.LogOp: LogOp, fn.SqrtOp: SqrtOp,
    fn.RsqrtOp: RsqrtOp, fn.AbsOp: AbsOp, fn.SinOp: SinOp, fn.CosOp: CosOp, fn.NegOp: NegOp,
    fn.NotOp: NotOp, fn.SigmoidOp: SigmoidOp, fn.ErfOp: ErfOp,
}
ARITHMETIC: dict[type[Operation], Binary] = {
    fn.AddOp: AddOp, fn.SubOp: SubOp, fn.MulOp: MulOp, fn.DivOp: DivOp, fn.PowOp: PowOp,
    fn.MaximumOp: MaximumOp, fn.MinimumOp: MinimumOp, fn.AndOp: AndOp, fn.OrOp: OrOp,
}
COMPARISONS: dict[type[Operation], Binary] = {
    fn.EqOp: EqOp, fn.NeOp: NeOp, fn.LtOp: LtOp, fn.LeOp: LeOp, fn.GtOp: GtOp, fn.GeOp: GeOp,
}


def common_element(a: Attribute, b: Attribute) -> Attribute:
    """The type in which torch compares two tensors of element types `a` and `b`: the
    higher kind (bool < integer < float), then the wider; f16 with bf16 gives f32."""
    if a == b:
        return a
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return a if ka > kb else b
    if {str(a), str(b)} == {"f16", "bf16"}:
        return f32
    if not (isinstance(a, FixedBitwidthType) and isinstance(b, FixedBitwidthType)):
        raise VerifyException(f"no common element type of {a} and {b}")
    return a if a.bitwidth >= b.bitwidth else b


def _kind(t: Attribute) -> int:
    """0 for booleans, 1 for integers, 2 for floats."""
    if isinstance(t, AnyFloat):
        return 2
    return 1 if isinstance(t, IntegerType) and t.width.data > 1 else 0


def _input_as_result_type(b: Lowering, op: Operation) -> SSAValue:
    """The one operand of `op`, cast to the element type of its result."""
    return b.cast(op.operands[0], element(op.results[0]))


class LowerUnaryFunction(ModelOpLowering[fn.UnaryBase]):
    """A function with a tensorops twin -> that op (`model.exp` -> `tensorops.exp`)."""

    source = tuple(UNARY)

    def lower(self, op: fn.UnaryBase, b: Lowering) -> SSAValue:
        return b(UNARY[type(op)](_input_as_result_type(b, op)))


class LowerArithmeticAndLogic(ModelOpLowering[fn.BinaryBase]):
    """Binary arithmetic and logic -> its tensorops twin, in the result's element type."""

    source = tuple(ARITHMETIC)

    def lower(self, op: fn.BinaryBase, b: Lowering) -> SSAValue:
        t = element(op.result)
        return b(ARITHMETIC[type(op)](b.cast(op.lhs, t), b.cast(op.rhs, t)))


class LowerComparison(ModelOpLowering[fn.BinaryBase]):
    """A comparison -> its tensorops twin, in the operands' common element type."""

    source = tuple(COMPARISONS)

    def lower(self, op: fn.BinaryBase, b: Lowering) -> SSAValue:
        t = common_element(element(op.lhs), element(op.rhs))
        return b(COMPARISONS[type(op)](b.cast(op.lhs, t), b.cast(op.rhs, t)))


class LowerWhere(ModelOpLowering[fn.WhereOp]):
    """`where(c, a, b)` -> `select(c, a, b)`, both values in the result's element type."""

    source = fn.WhereOp

    def lower(self, op: fn.WhereOp, b: Lowering) -> SSAValue:
        t = element(op.result)
        return b(SelectOp(op.cond, b.cast(op.lhs, t), b.cast(op.rhs, t)))


class LowerClamp(ModelOpLowering[fn.ClampOp]):
    """`clamp(x, lo, hi)` -> `minimum(maximum(x, lo), hi)`."""

    source = fn.ClampOp

    def lower(self, op: fn.ClampOp, b: Lowering) -> SSAValue:
        t = element(op.input)
        lo, hi = op.lo.value.data, op.hi.value.data
        if isinstance(t, IntegerType):
            lo, hi = math.ceil(lo), math.floor(hi)
        return b(MinimumOp(b(MaximumOp(op.input, b.constant(lo, t))), b.constant(hi, t)))


class LowerCast(ModelOpLowering[fn.CastOp]):
    """`model.cast` -> `tensorops.cast` (nothing when the type does not change)."""

    source = fn.CastOp

    def lower(self, op: fn.CastOp, b: Lowering) -> SSAValue:
        return b.cast(op.input, element(op.result))


@dataclass(frozen=True)
class LowerArithmeticPass(ModulePass):
    """Lowers elementwise math, arithmetic, comparisons and casts in model methods."""

    name = "lower-arithmetic"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [
            LowerUnaryFunction(), LowerArithmeticAndLogic(), LowerComparison(), LowerWhere(),
            LowerClamp(), LowerCast(),
        ])
