"""Built-in tensor functions (M-LANGUAGE.md section 7) and the operators of section 5.

Inside model methods every value is a tensor (scalars are 0-d tensors); in the host
program the same arithmetic ops also take host scalars (`i64`, `f64`, `i1`).
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    ArrayAttr, DenseArrayBase, FloatAttr, IntegerAttr, StringAttr, TensorType,
    I64, UnrankedTensorType, i1, i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation, ParsePropInAttrDict, base, irdl_op_definition, operand_def, opt_prop_def,
    prop_def, result_def, traits_def, var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.base import ShapedResult, bool_prop, expect_element, int_prop
from mlang.dialects.model.types import ListType, is_numeric, shape_of
from mlang.support import shapes

# Ops the frontend allows on a tensor of unknown rank (a loaded model's output in the host
# program) take either kind of tensor type.
ANY_TENSOR = base(TensorType) | base(UnrankedTensorType)

# ------------------------------------------------------------------------ elementwise


class UnaryBase(ShapedResult):
    """An elementwise function of one tensor (or host scalar)."""

    input = operand_def()
    result = result_def()
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x: SSAValue, result: Attribute | None = None):
        super().__init__(operands=[x], result_types=[result or x.type])

    def result_shape(self) -> shapes.Shape:
        return shape_of(self.input.type)

    def verify_(self) -> None:
        if not is_numeric(self.input.type):
            raise VerifyException(f"{self.name}: operand must be a tensor or a number")
        super().verify_()


@irdl_op_definition
class ReluOp(UnaryBase):
    """max(x, 0)."""

    name = "model.relu"


@irdl_op_definition
class GeluOp(UnaryBase):
    """x * Phi(x), the exact form with erf."""

    name = "model.gelu"


@irdl_op_definition
class SiluOp(UnaryBase):
    """x * sigmoid(x)."""

    name = "model.silu"


@irdl_op_definition
class ErfOp(UnaryBase):
    """The Gauss error function."""

    name = "model.erf"


@irdl_op_definition
class SigmoidOp(UnaryBase):
    """1 / (1 + exp(-x))."""

    name = "model.sigmoid"


@irdl_op_definition
class TanhOp(UnaryBase):
    """Hyperbolic tangent."""

    name = "model.tanh"


@irdl_op_definition
class ExpOp(UnaryBase):
    """e ** x."""

    name = "model.exp"


@irdl_op_definition
class LogOp(UnaryBase):
    """Natural logarithm."""

    name = "model.log"


@irdl_op_definition
class SqrtOp(UnaryBase):
    """Square root."""

    name = "model.sqrt"


@irdl_op_definition
class RsqrtOp(UnaryBase):
    """1 / sqrt(x)."""

    name = "model.rsqrt"


@irdl_op_definition
class AbsOp(UnaryBase):
    """Absolute value."""

    name = "model.abs"


@irdl_op_definition
class SinOp(UnaryBase):
    """Sine."""

    name = "model.sin"


@irdl_op_definition
class CosOp(UnaryBase):
    """Cosine."""

    name = "model.cos"


@irdl_op_definition
class NegOp(UnaryBase):
    """-x."""

    name = "model.neg"


@irdl_op_definition
class NotOp(UnaryBase):
    """Logical negation of booleans."""

    name = "model.not"


UNARY_OPS: dict[str, type[UnaryBase]] = {
    c.name.removeprefix("model."): c
    for c in (ReluOp, GeluOp, SiluOp, SigmoidOp, TanhOp, ExpOp, LogOp, SqrtOp, RsqrtOp, AbsOp,
              SinOp, CosOp, NegOp, NotOp, ErfOp)
}


class BinaryBase(ShapedResult):
    """An elementwise function of two operands with NumPy broadcasting."""

    lhs = operand_def()
    rhs = operand_def()
    result = result_def()
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result: Attribute):
        super().__init__(operands=[lhs, rhs], result_types=[result])

    def result_shape(self) -> shapes.Shape:
        return shapes.broadcast_shapes(shape_of(self.lhs.type), shape_of(self.rhs.type))

    def verify_(self) -> None:
        if not (is_numeric(self.lhs.type) and is_numeric(self.rhs.type)):
            raise VerifyException(f"{self.name}: operands must be tensors or numbers")
        super().verify_()


class CompareBase(BinaryBase):
    """An elementwise comparison; the result is boolean."""

    def verify_(self) -> None:
        super().verify_()
        expect_element(self, self.result.type, i1, "the result")


@irdl_op_definition
class AddOp(BinaryBase):
    """a + b."""

    name = "model.add"


@irdl_op_definition
class SubOp(BinaryBase):
    """a - b."""

    name = "model.sub"


@irdl_op_definition
class MulOp(BinaryBase):
    """a * b."""

    name = "model.mul"


@irdl_op_definition
class DivOp(BinaryBase):
    """a / b, true division as in PyTorch."""

    name = "model.div"


@irdl_op_definition
class PowOp(BinaryBase):
    """a ** b."""

    name = "model.pow"


@irdl_op_definition
class MaximumOp(BinaryBase):
    """Elementwise maximum."""

    name = "model.maximum"


@irdl_op_definition
class MinimumOp(BinaryBase):
    """Elementwise minimum."""

    name = "model.minimum"


@irdl_op_definition
class AndOp(BinaryBase):
    """Logical and."""

    name = "model.and"


@irdl_op_definition
class OrOp(BinaryBase):
    """Logical or."""

    name = "model.or"


@irdl_op_definition
class EqOp(CompareBase):
    """a == b."""

    name = "model.eq"


@irdl_op_definition
class NeOp(CompareBase):
    """a != b."""

    name = "model.ne"


@irdl_op_definition
class LtOp(CompareBase):
    """a < b."""

    name = "model.lt"


@irdl_op_definition
class LeOp(CompareBase):
    """a <= b."""

    name = "model.le"


@irdl_op_definition
class GtOp(CompareBase):
    """a > b."""

    name = "model.gt"


@irdl_op_definition
class GeOp(CompareBase):
    """a >= b."""

    name = "model.ge"


BINARY_OPS: dict[str, type[BinaryBase]] = {
    c.name.removeprefix("model."): c
    for c in (AddOp, SubOp, MulOp, DivOp, PowOp, MaximumOp, MinimumOp, AndOp, OrOp, EqOp, NeOp,
              LtOp, LeOp, GtOp, GeOp)
}


@irdl_op_definition
class MatmulOp(ShapedResult):
    """Matrix product, batched and broadcast like `torch.matmul`."""

    name = "model.matmul"
    lhs = operand_def(ANY_TENSOR)
    rhs = operand_def(ANY_TENSOR)
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def result_shape(self) -> shapes.Shape:
        return shapes.matmul_shape(shape_of(self.lhs.type), shape_of(self.rhs.type))


@irdl_op_definition
class WhereOp(ShapedResult):
    """Selects `a` where `cond` is true, else `b`, with broadcasting."""

    name = "model.where"
    cond = operand_def()
    lhs = operand_def()
    rhs = operand_def()
    result = result_def()
    traits = traits_def(Pure())
    assembly_format = "$cond `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def result_shape(self) -> shapes.Shape:
        values = shapes.broadcast_shapes(shape_of(self.lhs.type), shape_of(self.rhs.type))
        return shapes.broadcast_shapes(shape_of(self.cond.type), values)

    def verify_(self) -> None:
        expect_element(self, self.cond.type, i1, "the condition")
        super().verify_()


@irdl_op_definition
class ClampOp(ShapedResult):
    """Limits values to `[lo, hi]`."""

    name = "model.clamp"
    input = operand_def(ANY_TENSOR)
    lo = prop_def(FloatAttr)
    hi = prop_def(FloatAttr)
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shape_of(self.input.type)

    def verify_(self) -> None:
        if self.lo.value.data > self.hi.value.data:
            raise VerifyException("model.clamp: lo must not exceed hi")
        super().verify_()


@irdl_op_definition
class CastOp(ShapedResult):
    """Converts the element type; the result type says to what."""

    name = "model.cast"
    input = operand_def(ANY_TENSOR)
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shape_of(self.input.type)


# ------------------------------------------------------------------------ reductions


class ReductionBase(ShapedResult):
    """A reduction over one axis, or over all axes when `axis` is absent."""

    input = operand_def(ANY_TENSOR)
    axis = opt_prop_def(IntegerAttr[I64])
    keepdim = opt_prop_def(IntegerAttr)
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shapes.reduce_shape(
            shape_of(self.input.type), int_prop(self.axis), bool_prop(self.keepdim))


@irdl_op_definition
class SumOp(ReductionBase):
    """Sum of elements."""

    name = "model.sum"


@irdl_op_definition
class MeanOp(ReductionBase):
    """Mean of elements."""

    name = "model.mean"


@irdl_op_definition
class MaxOp(ReductionBase):
    """Largest element."""

    name = "model.max"


@irdl_op_definition
class MinOp(ReductionBase):
    """Smallest element."""

    name = "model.min"


@irdl_op_definition
class ArgmaxOp(ReductionBase):
    """Index of the largest element (i64)."""

    name = "model.argmax"


REDUCTION_OPS: dict[str, type[ReductionBase]] = {
    c.name.removeprefix("model."): c for c in (SumOp, MeanOp, MaxOp, MinOp, ArgmaxOp)
}


class SoftmaxBase(ShapedResult):
    """A normalisation along one axis that keeps the shape."""

    input = operand_def(ANY_TENSOR)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        x = shape_of(self.input.type)
        shapes.normalize_axis(self.axis.value.data, len(x))
        return x


@irdl_op_definition
class SoftmaxOp(SoftmaxBase):
    """exp(x) / sum(exp(x)) along `axis`."""

    name = "model.softmax"


@irdl_op_definition
class LogSoftmaxOp(SoftmaxBase):
    """log(softmax(x)) along `axis`, computed stably."""

    name = "model.log_softmax"


# ---------------------------------------------------------------------------- layout


@irdl_op_definition
class TransposeOp(ShapedResult):
    """Swaps two dimensions."""

    name = "model.transpose"
    input = operand_def(ANY_TENSOR)
    dim0 = prop_def(IntegerAttr[I64])
    dim1 = prop_def(IntegerAttr[I64])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shapes.transpose_shape(
            shape_of(self.input.type), self.dim0.value.data, self.dim1.value.data)


@irdl_op_definition
class PermuteOp(ShapedResult):
    """Reorders dimensions: result dimension i is input dimension dims[i]."""

    name = "model.permute"
    input = operand_def(ANY_TENSOR)
    dims = prop_def(DenseArrayBase)
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    assembly_format = "$input qualified($dims) attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shapes.permute_shape(shape_of(self.input.type), self.dims.get_values())


@irdl_op_definition
class ReshapeOp(ShapedResult):
    """Gives a tensor a new shape with the same elements; one size may be -1."""

    name = "model.reshape"
    input = operand_def(ANY_TENSOR)
    shape = prop_def(DenseArrayBase)
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    assembly_format = "$input qualified($shape) attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shapes.reshape_shape(shape_of(self.input.type), self.shape.get_values())


@irdl_op_definition
class FlattenOp(ShapedResult):
    """Flattens dimensions `start..` into one."""

    name = "model.flatten"
    input = operand_def(ANY_TENSOR)
    start = prop_def(IntegerAttr[I64])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shapes.flatten_shape(shape_of(self.input.type), self.start.value.data)


@irdl_op_definition
class ConcatOp(ShapedResult):
    """Joins tensors along `axis`."""

    name = "model.concat"
    inputs = var_operand_def(ANY_TENSOR)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict `:` functional-type($inputs, $result)"

    def result_shape(self) -> shapes.Shape:
        return shapes.concat_shape([shape_of(v.type) for v in self.inputs], self.axis.value.data)


@irdl_op_definition
class SliceOp(ShapedResult):
    """NumPy basic indexing with static subscripts, one string per indexed dimension.

    `"2"` or `"-1"` picks one position and drops the dimension; `"lo:hi:step"` with any
    part omitted keeps it. Dimensions past the subscripts are kept whole.
    """

    name = "model.slice"
    input = operand_def(ANY_TENSOR)
    index = prop_def(ArrayAttr[StringAttr])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    assembly_format = "$input $index attr-dict `:` type($input) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return slice_shape(shape_of(self.input.type), self.items())

    def items(self) -> list[int | slice]:
        """The subscripts as Python ints and slices."""
        try:
            return [parse_subscript(s.data) for s in self.index.data]
        except ValueError:
            raise VerifyException(f"model.slice: malformed subscript in {self.index}") from None


def parse_subscript(text: str) -> int | slice:
    """Parses one subscript: `"3"`, `":"`, `"1:-1"`, `"::2"`."""
    if ":" not in text:
        return int(text)
    parts = [int(p) if p else None for p in text.split(":")]
    if len(parts) > 3:
        raise ValueError(text)
    return slice(*parts)


def format_subscript(item: int | slice) -> str:
    """The inverse of `parse_subscript`."""
    if isinstance(item, int):
        return str(item)
    parts = ["" if p is None else str(p) for p in (item.start, item.stop)]
    if item.step is not None:
        parts.append(str(item.step))
    return ":".join(parts)


def slice_shape(x: shapes.Shape, items: list[int | slice]) -> shapes.Shape:
    """The shape that NumPy basic indexing with `items` gives."""
    if len(items) > len(x):
        raise shapes.ShapeError(f"too many indices ({len(items)}) for a tensor of rank {len(x)}")
    out: list[shapes.Dim] = []
    for size, item in zip(x, items):
        if isinstance(item, int):
            shapes.index_dim(size, item)
            continue
        step = 1 if item.step is None else item.step
        out.append(shapes.slice_dim(size, item.start, item.stop, step))
    return tuple(out) + tuple(x[len(items):])


# -------------------------------------------------------------------------- creation


class CreationBase(IRDLOperation):
    """A tensor made from nothing but its (static) result type."""

    result = result_def(TensorType)
    assembly_format = "attr-dict `:` type($result)"

    def verify_(self) -> None:
        assert isinstance(self.result.type, TensorType)
        if not self.result.type.has_static_shape():
            raise VerifyException(f"{self.name}: the shape must be static")


@irdl_op_definition
class ZerosOp(CreationBase):
    """A tensor of zeros."""

    name = "model.zeros"
    traits = traits_def(Pure())


@irdl_op_definition
class OnesOp(CreationBase):
    """A tensor of ones."""

    name = "model.ones"
    traits = traits_def(Pure())


@irdl_op_definition
class FullOp(CreationBase):
    """A tensor filled with `value`."""

    name = "model.full"
    value = prop_def(FloatAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)


@irdl_op_definition
class ArangeOp(CreationBase):
    """`[0, 1, ..., n-1]` as i64, n taken from the result type."""

    name = "model.arange"
    traits = traits_def(Pure())

    def verify_(self) -> None:
        super().verify_()
        if len(shape_of(self.result.type)) != 1:
            raise VerifyException("model.arange: the result must be 1-d")


class RandomBase(CreationBase):
    """Random values from the global generator, or from one seeded with `seed`."""

    seed = opt_prop_def(IntegerAttr[I64])
    irdl_options = (ParsePropInAttrDict(),)


@irdl_op_definition
class RandnOp(RandomBase):
    """Samples from N(0, 1)."""

    name = "model.randn"


@irdl_op_definition
class RandOp(RandomBase):
    """Samples from U[0, 1)."""

    name = "model.rand"


@irdl_op_definition
class OneHotOp(ShapedResult):
    """`[*ids] -> [*ids, n]` with a 1 at each id (i64)."""

    name = "model.one_hot"
    ids = operand_def(ANY_TENSOR)
    n = prop_def(IntegerAttr[I64])
    result = result_def(ANY_TENSOR)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$ids attr-dict `:` type($ids) `->` type($result)"

    def result_shape(self) -> shapes.Shape:
        return shape_of(self.ids.type) + (self.n.value.data,)


# ---------------------------------------------------------------------------- losses


class LossBase(ShapedResult):
    """A mean loss over a batch; the result is a 0-d float tensor."""

    lhs = operand_def(ANY_TENSOR)
    rhs = operand_def(ANY_TENSOR)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def result_shape(self) -> shapes.Shape:
        return ()


@irdl_op_definition
class CrossEntropyOp(LossBase):
    """Cross-entropy of logits `[N, C]` against integer labels `[N]`."""

    name = "model.cross_entropy"

    def verify_(self) -> None:
        super().verify_()
        if not all(isinstance(v.type, TensorType) for v in self.operands):
            return  # a rank is unknown until run time
        logits, labels = shape_of(self.lhs.type), shape_of(self.rhs.type)
        if len(logits) != len(labels) + 1 or any(
            shapes.dims_conflict(a, b) for a, b in zip(logits, labels)
        ):
            raise VerifyException(
                f"model.cross_entropy: labels {shapes.fmt_shape(labels)} do not match "
                f"logits {shapes.fmt_shape(logits)}: labels must have the logits' shape "
                "without its last (class) dimension"
            )


@irdl_op_definition
class MseOp(LossBase):
    """Mean squared error of two tensors that broadcast to one shape."""

    name = "model.mse"

    def verify_(self) -> None:
        super().verify_()
        if not all(isinstance(v.type, TensorType) for v in self.operands):
            return  # a rank is unknown until run time
        try:
            shapes.broadcast_shapes(shape_of(self.lhs.type), shape_of(self.rhs.type))
        except shapes.ShapeError as err:
            raise VerifyException(f"model.mse: {err}") from None


@irdl_op_definition
class ShapeOp(IRDLOperation):
    """The sizes of a tensor, as a host list of ints."""

    name = "model.shape"
    input = operand_def(ANY_TENSOR)
    result = result_def(ListType)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def verify_(self) -> None:
        assert isinstance(self.result.type, ListType)
        if self.result.type.element_type != i64:
            raise VerifyException("model.shape: the result must be a list of i64")


FUNCTION_OPS: list[type[IRDLOperation]] = [
    *UNARY_OPS.values(), *BINARY_OPS.values(), MatmulOp, WhereOp, ClampOp, CastOp,
    *REDUCTION_OPS.values(), SoftmaxOp, LogSoftmaxOp, TransposeOp, PermuteOp, ReshapeOp,
    FlattenOp, ConcatOp, SliceOp, ZerosOp, OnesOp, FullOp, ArangeOp, RandnOp, RandOp, OneHotOp,
    CrossEntropyOp, MseOp, ShapeOp,
]
