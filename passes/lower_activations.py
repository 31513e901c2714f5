"""`lower-activations`: activation functions, softmax and dropout to tensor ops.

In: model methods with `model.relu gelu silu softmax log_softmax dropout`.
Out: tensorops, one pattern per op:

- `relu(x) = maximum(x, 0)`; `silu(x) = x * sigmoid(x)`;
  `gelu(x) = (x * 0.5) * (1 + erf(x * (1/sqrt(2))))`, the exact form; `model.gelu_tanh`
  (PyTorch's `approximate="tanh"`) is `(x * 0.5) * (1 + tanh(c * (x + 0.044715 * x*x*x)))`,
  `c = sqrt(2/pi)`;
- `softmax` along an axis, numerically stable: `m = reduce_max(x)` (kept), `e = exp(x - m)`,
  `e / reduce_sum(e)`; `log_softmax` is `(x - m) - log(reduce_sum(e))`;
- `model.dropout` is `tensorops.dropout`, which reads the run-time training flag.

Integer inputs are cast to the result's float type first, as PyTorch does. `tanh` and
`sigmoid`, which have tensorops twins, are lowered with the other functions by
`lower-arithmetic`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model import functions as fn
from mlang.dialects.model import layers
from mlang.dialects.model.attention import GeluTanhOp
from mlang.dialects.tensorops import (
    AddOp, DropoutOp, ErfOp, MaximumOp, MulOp, SigmoidOp, TanhOp,
)
from mlang.passes.lowering import (
    Lowering, ModelOpLowering, element, emit_log_softmax, emit_softmax, rewrite_model_methods,
)


def _input_as_result_type(b: Lowering, op: Operation) -> SSAValue:
    """The one operand of `op`, cast to the element type of its result."""
    return b.cast(op.operands[0], element(op.results[0]))


class LowerRelu(ModelOpLowering[fn.UnaryBase]):
    """`relu(x)` -> `maximum(x, 0)`."""

    source = fn.ReluOp

    def lower(self, op: fn.UnaryBase, b: Lowering) -> SSAValue:
        return b(MaximumOp(op.input, b.constant(0, element(op.input))))


class LowerGelu(ModelOpLowering[fn.UnaryBase]):
    """`gelu(x)` -> `(x * 0.5) * (1 + erf(x * (1/sqrt(2))))`."""

    source = fn.GeluOp

    def lower(self, op: fn.UnaryBase, b: Lowering) -> SSAValue:
        x = _input_as_result_type(b, op)
        t = element(x)
        erf = b(ErfOp(b(MulOp(x, b.constant(math.sqrt(0.5), t)))))
        one_plus_erf = b(AddOp(erf, b.constant(1, t)))
        return b(MulOp(b(MulOp(x, b.constant(0.5, t))), one_plus_erf))


class LowerGeluTanh(ModelOpLowering[GeluTanhOp]):
    """`gelu(x, approximate="tanh")` -> `(x * 0.5) * (1 + tanh(c * (x + 0.044715 x^3)))`."""

    source = GeluTanhOp

    def lower(self, op: GeluTanhOp, b: Lowering) -> SSAValue:
        x = _input_as_result_type(b, op)
        t = element(x)
        cube = b(MulOp(b(MulOp(x, x)), x))
        inner = b(AddOp(x, b(MulOp(cube, b.constant(0.044715, t)))))
        tanh = b(TanhOp(b(MulOp(inner, b.constant(math.sqrt(2 / math.pi), t)))))
        return b(MulOp(b(MulOp(x, b.constant(0.5, t))), b(AddOp(tanh, b.constant(1, t)))))


class LowerSilu(ModelOpLowering[fn.UnaryBase]):
    """`silu(x)` -> `x * sigmoid(x)`."""

    source = fn.SiluOp

    def lower(self, op: fn.UnaryBase, b: Lowering) -> SSAValue:
        x = _input_as_result_type(b, op)
        return b(MulOp(x, b(SigmoidOp(x))))


class LowerSoftmax(ModelOpLowering[fn.SoftmaxOp]):
    """`softmax(x, axis)` -> max-subtract, exp, reduce_sum, div."""

    source = fn.SoftmaxOp

    def lower(self, op: fn.SoftmaxOp, b: Lowering) -> SSAValue:
        return emit_softmax(b, _input_as_result_type(b, op), op.axis.value.data)


class LowerLogSoftmax(ModelOpLowering[fn.LogSoftmaxOp]):
    """`log_softmax(x, axis)` -> max-subtract, exp, reduce_sum, log, subtract."""

    source = fn.LogSoftmaxOp

    def lower(self, op: fn.LogSoftmaxOp, b: Lowering) -> SSAValue:
        return emit_log_softmax(b, _input_as_result_type(b, op), op.axis.value.data)


class LowerDropout(ModelOpLowering[layers.DropoutOp]):
    """`model.dropout` -> `tensorops.dropout`."""

    source = layers.DropoutOp

    def lower(self, op: layers.DropoutOp, b: Lowering) -> SSAValue:
        return b(DropoutOp(op.input, op.p.value.data))


@dataclass(frozen=True)
class LowerActivationsPass(ModulePass):
    """Lowers activation functions, softmax and dropout in model methods to tensor ops."""

    name = "lower-activations"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_model_methods(op, [
            LowerRelu(), LowerGelu(), LowerGeluTanh(), LowerSilu(), LowerSoftmax(),
            LowerLogSoftmax(),
            LowerDropout(),
        ])
