"""An example pass plugin: `div-to-mul` rewrites division by a constant as multiplication.

Load it into `mopt` without editing mlang (docs/CONTRIBUTING.md walks through it):

    mopt model.mlir --load-pass-plugin=examples/plugins/div_to_mul.py -p div-to-mul
    mopt model.mlir --load-pass-plugin=examples/plugins/div_to_mul.py -p 'div-to-mul{exact=false}'

In:  `%y = tensorops.div %x, %c` where `%c` is a float `tensorops.constant` splat `c`.
Out: `%r = tensorops.constant` splat `1/c` and `%y = tensorops.mul %x, %r`.

A multiplication is cheaper than a division on every device. By default the rewrite is
made only where it changes no result, bit for bit: `c` a power of two whose reciprocal
the element type holds exactly (x / 4 is x * 0.25, rounded once, the same way). With
`exact=false` any non-zero `c` is rewritten, as a fast-math compiler would; results may
then differ in their last bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from mlang.dialects.tensorops import ConstantOp, DivOp, MulOp
from mlang.passes import register_pass

_FLOATS = {"f16": np.float16, "f32": np.float32, "f64": np.float64}
"""The float element types whose reciprocals this pass checks for exactness."""


def reciprocal(c: float, element: str, exact: bool) -> float | None:
    """`1/c` if the rewrite may use it: always for a finite non-zero `c` when not `exact`,
    else only for a power of two whose reciprocal `element` holds exactly."""
    if c == 0 or not math.isfinite(c):
        return None
    if not exact:
        return 1 / c
    power_of_two = abs(math.frexp(c)[0]) == 0.5
    dtype = _FLOATS.get(element)
    if not power_of_two or dtype is None:
        return None
    with np.errstate(over="ignore"):
        held = float(dtype(1 / c))
    return 1 / c if held == 1 / c else None


@dataclass(frozen=True)
class DivByConstantToMul(RewritePattern):
    """`x / c` -> `x * (1/c)` for a float splat constant `c`."""

    exact: bool

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DivOp, rewriter: PatternRewriter) -> None:
        divisor = op.rhs.owner
        if not isinstance(divisor, ConstantOp):
            return
        c = divisor.splat_value()
        constant_type = divisor.result.type
        if not isinstance(c, float) or not isinstance(constant_type, TensorType):
            return
        r = reciprocal(c, str(constant_type.element_type), self.exact)
        if r is None:
            return
        factor = ConstantOp.from_values(constant_type, [r])
        factor.result.name_hint = "reciprocal"
        rewriter.replace(op, [factor, MulOp(op.lhs, factor.result)])


@register_pass
@dataclass(frozen=True)
class DivToMul(ModulePass):
    """Rewrites division by a float constant as multiplication by its reciprocal."""

    name = "div-to-mul"

    exact: bool = True
    """Rewrite only where the product equals the quotient bit for bit."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(DivByConstantToMul(self.exact)).rewrite_module(op)
