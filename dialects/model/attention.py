"""Model ops of M 0.2's attention functions: `attention`, `rope` and `gelu(approximate=)`.

The shape rules live here so that the frontend reports at the call what the verifier
would reject.
"""

from __future__ import annotations

from xdsl.dialects.builtin import FloatAttr, IntegerAttr, TensorType, f64, i1
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    AttrSizedOperandSegments, ParsePropInAttrDict, irdl_op_definition, operand_def,
    opt_operand_def, opt_prop_def, prop_def, result_def, traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.base import ShapedResult, bool_attr, bool_prop
from mlang.dialects.model.functions import UnaryBase
from mlang.dialects.model.types import element_of, is_float, shape_of
from mlang.support import shapes
from mlang.support.shapes import Shape, ShapeError, fmt_shape

FORMAT = "operands attr-dict `:` functional-type(operands, results)"


def attention_shape(q: Shape, k: Shape, v: Shape, mask: Shape | None) -> Shape:
    """The shape `[N, H, T, Dv]` of `attention(q, k, v, mask)`; raises ShapeError."""
    if len(q) != 4 or len(k) != 4 or len(v) != 4:
        raise ShapeError(f"q, k and v must be [N, H, T, D], got {fmt_shape(q)}, "
                         f"{fmt_shape(k)} and {fmt_shape(v)}")
    n = shapes.broadcast_dim(shapes.broadcast_dim(q[0], k[0]), v[0])
    heads, kv_heads = q[1], shapes.merge_dim(k[1], v[1])
    if shapes.dims_conflict(k[1], v[1]) or shapes.dims_conflict(k[2], v[2]):
        raise ShapeError(f"k {fmt_shape(k)} and v {fmt_shape(v)} must agree in heads and "
                         "length")
    if shapes.dims_conflict(q[3], k[3]):
        raise ShapeError(f"q {fmt_shape(q)} and k {fmt_shape(k)} have different head sizes")
    if isinstance(heads, int) and isinstance(kv_heads, int) and heads % kv_heads:
        raise ShapeError(f"{heads} query heads are not a multiple of {kv_heads} key/value "
                         "heads")
    out: Shape = (n, heads, q[2], v[3])
    if mask is not None:
        scores: Shape = (n, heads, q[2], shapes.merge_dim(k[2], v[2]))
        if not _broadcasts_to(mask, scores):
            raise ShapeError(f"the mask {fmt_shape(mask)} does not broadcast to the scores "
                             f"{fmt_shape(scores)}")
    return out


def _broadcasts_to(shape: Shape, target: Shape) -> bool:
    """Whether `shape` broadcasts to `target` without widening it."""
    try:
        return len(shape) <= len(target) and shapes.broadcast_shapes(shape, target) == target
    except ShapeError:
        return False


def rope_shape(x: Shape, positions: Shape) -> Shape:
    """The shape of `rope(x, positions)`, that of `x`; raises ShapeError."""
    if len(x) != 4:
        raise ShapeError(f"x must be [N, H, T, D], got {fmt_shape(x)}")
    size = x[3]
    if not isinstance(size, int):  # its frequencies are constants of size / 2 numbers
        raise ShapeError(f"the head size {size or '?'} must be known at compile time")
    if size % 2:
        raise ShapeError(f"the head size {size} must be even")
    if len(positions) not in (1, 2) or shapes.dims_conflict(positions[-1], x[2]):
        raise ShapeError(f"positions must be [T] or [N, T] with T = {x[2]}, "
                         f"got {fmt_shape(positions)}")
    return x


@irdl_op_definition
class SdpaOp(ShapedResult):
    """Scaled dot-product attention, `softmax(q k^T * scale + mask) v`, with grouped-query
    heads (query head h reads key/value head `h // (H / Hkv)`); a boolean mask is true
    where a query attends, a float one is added to the scores; `causal` masks keys after
    the query, aligned to the top left as PyTorch's `is_causal` does."""

    name = "model.sdpa"
    q = operand_def(TensorType)
    k = operand_def(TensorType)
    v = operand_def(TensorType)
    mask = opt_operand_def(TensorType)
    scale = prop_def(FloatAttr)
    causal = opt_prop_def(IntegerAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(), AttrSizedOperandSegments(as_property=True))
    assembly_format = ("$q `,` $k `,` $v (`mask` $mask^)? attr-dict `:` type($q) `,` "
                       "type($k) `,` type($v) (`,` type($mask)^)? `->` type($result)")

    def __init__(self, q: SSAValue, k: SSAValue, v: SSAValue, mask: SSAValue | None,
                 scale: float, causal: bool, result_type: Attribute) -> None:
        props: dict[str, Attribute] = {"scale": FloatAttr(scale, f64)}
        if causal:
            props["causal"] = bool_attr(True)
        super().__init__(operands=[q, k, v, mask], result_types=[result_type],
                         properties=props)

    @property
    def is_causal(self) -> bool:
        """Whether keys after the query are masked."""
        return bool_prop(self.causal)

    def result_shape(self) -> Shape:
        mask = None if self.mask is None else shape_of(self.mask.type)
        return attention_shape(shape_of(self.q.type), shape_of(self.k.type),
                               shape_of(self.v.type), mask)

    def verify_(self) -> None:
        if not all(is_float(x.type) for x in (self.q, self.k, self.v)):
            raise VerifyException("model.sdpa: q, k and v must be floating-point")
        if self.mask is not None and element_of(self.mask.type) != i1 \
                and not is_float(self.mask.type):
            raise VerifyException("model.sdpa: the mask must be boolean or floating-point")
        super().verify_()


@irdl_op_definition
class RopeOp(ShapedResult):
    """Rotary position embedding of `[N, H, T, D]` at integer `positions` (`[T]` or
    `[N, T]`), rotate-half convention: `x * cos + rotate_half(x) * sin`, frequencies
    `theta ** (-2i / D)`."""

    name = "model.rope"
    input = operand_def(TensorType)
    positions = operand_def(TensorType)
    theta = prop_def(FloatAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = FORMAT

    def __init__(self, x: SSAValue, positions: SSAValue, theta: float) -> None:
        super().__init__(operands=[x, positions], result_types=[x.type],
                         properties={"theta": FloatAttr(theta, f64)})

    def result_shape(self) -> Shape:
        return rope_shape(shape_of(self.input.type), shape_of(self.positions.type))


@irdl_op_definition
class GeluTanhOp(UnaryBase):
    """`gelu` in PyTorch's tanh approximation:
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`."""

    name = "model.gelu_tanh"


ATTENTION_FUNCTION_OPS: list[type[IRDLOperation]] = [SdpaOp, RopeOp, GeluTanhOp]
