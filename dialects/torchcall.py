"""The `torchcall` dialect: single PyTorch calls that stand for chains of tensorops.

`select-torch-calls` replaces a chain of tensorops that one PyTorch function computes by
the op of that function here, and the torch backend prints each op as that one call: a
layer norm is one `torch.nn.functional.layer_norm` rather than nine ops, each a pass over
memory. Each op has the semantics of its function (float32 results to within the
rounding of PyTorch's fused kernels); the `int8_` ops are the helpers of
`backends/torch/kernels.py`, exact. Only the torch backend prints these ops: no pass
lowers them further, and a program holding them is past the tensor level.

    %y = torchcall.layer_norm %x, %w, %b eps 1.000000e-05 : f32 : tensor<?x8xf32>, ...
"""

from __future__ import annotations

from abc import ABC
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64, FloatAttr, IntegerAttr, StringAttr, TensorType, UnitAttr, i8,
)
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import (
    EqAttrConstraint, IRDLOperation, ParsePropInAttrDict, VarConstraint, irdl_op_definition,
    operand_def, opt_operand_def, opt_prop_def, prop_def, result_def, traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.tensorops.base import FloatElement, NumberElement

FloatTensor = TensorType.constr(FloatElement)
Int8Tensor = TensorType.constr(EqAttrConstraint(i8))
OPERATORS = ("+", "-", "*", "/")
"""The Python operators of `tensor_scalar` and `scalar_tensor`."""


def _rank(t: Attribute) -> int:
    """The rank of a tensor type."""
    assert isinstance(t, TensorType)
    return t.get_num_dims()


def _is_vector(t: Attribute, size: int) -> bool:
    """Whether `t` is a 1-d tensor type of `size` elements."""
    return isinstance(t, TensorType) and t == TensorType(t.element_type, [size])


def _check_dim(op: IRDLOperation, dim: IntegerAttr, t: Attribute) -> None:
    """Raises unless `dim` is an axis of tensor type `t` (non-negative)."""
    if not 0 <= dim.value.data < _rank(t):
        raise VerifyException(f"'{op.name}': dim {dim.value.data} is out of range "
                              f"for rank {_rank(t)}")


# ------------------------------------------------------------------------ float32


class UnaryCallOp(IRDLOperation, ABC):
    """An elementwise function of a float tensor: `torchcall.gelu %x : tensor<4xf32>`."""

    # Typed wide enough for `relu`, which widens it to every number type.
    T: ClassVar[VarConstraint[TensorType]] = VarConstraint("T", FloatTensor)
    input = operand_def(T)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input)"


@irdl_op_definition
class GeluOp(UnaryCallOp):
    """`torch.nn.functional.gelu`, the exact (erf) form."""

    name = "torchcall.gelu"


@irdl_op_definition
class SiluOp(UnaryCallOp):
    """`torch.nn.functional.silu`: `x * sigmoid(x)`."""

    name = "torchcall.silu"


@irdl_op_definition
class ReluOp(UnaryCallOp):
    """`torch.relu`: `maximum(x, 0)`, of any number type."""

    name = "torchcall.relu"
    T: ClassVar = VarConstraint("T", TensorType.constr(NumberElement))
    input = operand_def(T)
    result = result_def(T)


class SoftmaxFamilyOp(IRDLOperation, ABC):
    """A normalization along one axis: `torchcall.softmax %x dim 1 : tensor<?x8xf32>`."""

    T: ClassVar = VarConstraint("T", FloatTensor)
    input = operand_def(T)
    dim = prop_def(IntegerAttr[I64])
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$input `dim` $dim attr-dict `:` type($input)"

    def verify_(self) -> None:
        _check_dim(self, self.dim, self.input.type)


@irdl_op_definition
class SoftmaxOp(SoftmaxFamilyOp):
    """`torch.softmax(x, dim)`."""

    name = "torchcall.softmax"


@irdl_op_definition
class LogSoftmaxOp(SoftmaxFamilyOp):
    """`torch.log_softmax(x, dim)`."""

    name = "torchcall.log_softmax"


@irdl_op_definition
class LinearOp(IRDLOperation):
    """`torch.nn.functional.linear(x, w, b)`: `x @ w^T (+ b)`, `w` of shape `[out, in]`.

        %y = torchcall.linear %x, %w, %b : tensor<?x4xf32>, tensor<8x4xf32>, tensor<8xf32>
               -> tensor<?x8xf32>
    """

    name = "torchcall.linear"
    E: ClassVar = VarConstraint("E", FloatElement)
    input = operand_def(TensorType.constr(E))
    weight = operand_def(TensorType.constr(E))
    bias = opt_operand_def(TensorType.constr(E))
    result = result_def(TensorType.constr(E))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,` type($weight) "
        "(`,` type($bias)^)? `->` type($result)"
    )

    def verify_(self) -> None:
        if _rank(self.weight.type) != 2 or (
                self.bias is not None and _rank(self.bias.type) != 1):
            raise VerifyException(f"'{self.name}': the weight must be a matrix and the bias "
                                  "a vector")


@irdl_op_definition
class LayerNormOp(IRDLOperation):
    """`torch.nn.functional.layer_norm(x, (n,), w, b, eps)` over the last axis, of size `n`
    (static), with `w` and `b` of shape `[n]`."""

    name = "torchcall.layer_norm"
    T: ClassVar = VarConstraint("T", FloatTensor)
    input = operand_def(T)
    weight = operand_def(FloatTensor)
    bias = operand_def(FloatTensor)
    eps = prop_def(FloatAttr)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight `,` $bias `eps` $eps attr-dict `:` type($input) `,` "
        "type($weight) `,` type($bias)"
    )

    def verify_(self) -> None:
        _check_norm(self, self.input, (self.weight, self.bias), "weight and bias")


@irdl_op_definition
class RmsNormOp(IRDLOperation):
    """`torch.nn.functional.rms_norm(x, (n,), w, eps)` over the last axis, of size `n`
    (static), with `w` of shape `[n]`.

        %y = torchcall.rms_norm %x, %w eps 1.000000e-05 : f32 : tensor<?x8xf32>, tensor<8xf32>
    """

    name = "torchcall.rms_norm"
    T: ClassVar = VarConstraint("T", FloatTensor)
    input = operand_def(T)
    weight = operand_def(FloatTensor)
    eps = prop_def(FloatAttr)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight `eps` $eps attr-dict `:` type($input) `,` type($weight)"
    )

    def verify_(self) -> None:
        _check_norm(self, self.input, (self.weight,), "the weight")


def _check_norm(op: IRDLOperation, x: SSAValue, vectors: tuple[SSAValue, ...], what: str) -> None:
    """Raises unless each of `vectors` has shape `[n]`, `n` the static size of the last axis
    of `x`; `what` names them in the message."""
    assert isinstance(x.type, TensorType)
    size = x.type.get_shape()[-1]
    if size < 0 or not all(_is_vector(v.type, size) for v in vectors):
        raise VerifyException(f"'{op.name}': {what} must be of shape [n], n the static size "
                              "of the input's last axis")


@irdl_op_definition
class SdpaOp(IRDLOperation):
    """`torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
    is_causal=causal, scale=scale, enable_gqa=gqa)` on `[N, H, T, D]` queries and
    `[N, Hkv, S, D]` keys and values (`Hkv = H` unless `gqa`); with both a mask and
    `causal`, the causal mask (top-left) is folded into the mask, as PyTorch takes one.

        %o = torchcall.sdpa %q, %k, %v mask %m scale 0.35 {causal, gqa} : ... -> ...
    """

    name = "torchcall.sdpa"
    E: ClassVar = VarConstraint("E", FloatElement)
    q = operand_def(TensorType.constr(E))
    k = operand_def(TensorType.constr(E))
    v = operand_def(TensorType.constr(E))
    mask = opt_operand_def(TensorType)
    scale = prop_def(FloatAttr)
    causal = opt_prop_def(UnitAttr)
    gqa = opt_prop_def(UnitAttr)
    result = result_def(TensorType.constr(E))
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$q `,` $k `,` $v (`mask` $mask^)? `scale` $scale attr-dict `:` type($q) `,` "
        "type($k) `,` type($v) (`,` type($mask)^)? `->` type($result)"
    )

    def verify_(self) -> None:
        if not all(_rank(x.type) == 4 for x in (self.q, self.k, self.v, self.result)):
            raise VerifyException(f"'{self.name}': q, k, v and the result must be 4-d")


class ScalarArithOp(IRDLOperation, ABC):
    """A Python operator between a tensor and a number of its element type (f32 or f64),
    which PyTorch computes in the tensor's type."""

    T: ClassVar = VarConstraint("T", FloatTensor)
    input = operand_def(T)
    operator = prop_def(StringAttr)
    scalar = prop_def(FloatAttr)
    result = result_def(T)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        assert isinstance(self.input.type, TensorType)
        if self.operator.data not in OPERATORS:
            raise VerifyException(f"'{self.name}': operator must be one of {OPERATORS}")
        element = self.input.type.element_type
        if self.scalar.type != element or str(element) not in ("f32", "f64"):
            raise VerifyException(f"'{self.name}': the scalar must be an f32 or f64 of the "
                                  "input's element type")


@irdl_op_definition
class TensorScalarOp(ScalarArithOp):
    """`x op c`: `torchcall.tensor_scalar %x "*" 1.250000e-01 : f32 : tensor<4xf32>`."""

    name = "torchcall.tensor_scalar"
    assembly_format = "$input $operator $scalar attr-dict `:` type($input)"


@irdl_op_definition
class ScalarTensorOp(ScalarArithOp):
    """`c op x` (`torch.div(c, x)` for `/`, which Python's `c / x` computes as
    `c * reciprocal(x)`): `torchcall.scalar_tensor 2.0 : f32 "-" %x : tensor<4xf32>`."""

    name = "torchcall.scalar_tensor"
    assembly_format = "$scalar $operator $input attr-dict `:` type($input)"


# ------------------------------------------------------------------------ int8


@irdl_op_definition
class Int8RowScaleOp(IRDLOperation):
    """`int8_row_scale(x, dim)`: the largest magnitude of each row along `dim` over 127,
    1 for a row of zeros, as `quantize` spells it."""

    name = "torchcall.int8_row_scale"
    E: ClassVar = VarConstraint("E", FloatElement)
    input = operand_def(TensorType.constr(E))
    dim = prop_def(IntegerAttr[I64])
    result = result_def(TensorType.constr(E))
    traits = traits_def(Pure())
    assembly_format = "$input `dim` $dim attr-dict `:` type($input) `->` type($result)"

    def verify_(self) -> None:
        _check_dim(self, self.dim, self.input.type)


@irdl_op_definition
class Int8QuantizeRowsOp(IRDLOperation):
    """`int8_quantize_rows(x, dim)`: the int8 rows of `x` and their scales, as
    `int8_row_scale` and `quantize` give them."""

    name = "torchcall.int8_quantize_rows"
    E: ClassVar = VarConstraint("E", FloatElement)
    input = operand_def(TensorType.constr(E))
    dim = prop_def(IntegerAttr[I64])
    output = result_def(Int8Tensor)
    scale = result_def(TensorType.constr(E))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `dim` $dim attr-dict `:` type($input) `->` type($output) `,` type($scale)"
    )

    def verify_(self) -> None:
        _check_dim(self, self.dim, self.input.type)


class Int8MatmulFamilyOp(IRDLOperation, ABC):
    """`float(xq @ w) * x_scale * w_scale (+ bias)` of int8 `xq` and `w`, exact."""

    E: ClassVar = VarConstraint("E", FloatElement)
    input = operand_def(Int8Tensor)
    weight = operand_def(Int8Tensor)
    input_scale = operand_def(TensorType.constr(E))
    weight_scale = operand_def(TensorType.constr(E))
    bias = opt_operand_def(TensorType.constr(E))
    result = result_def(TensorType.constr(E))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight `,` $input_scale `,` $weight_scale (`,` $bias^)? attr-dict `:` "
        "type($input) `,` type($weight) `,` type($input_scale) `,` type($weight_scale) "
        "(`,` type($bias)^)? `->` type($result)"
    )


@irdl_op_definition
class Int8ScaledMatmulOp(Int8MatmulFamilyOp):
    """`int8_scaled_matmul(xq, w, xs, ws, b)`: `w` is `[in, out]`."""

    name = "torchcall.int8_scaled_matmul"


@irdl_op_definition
class Int8LinearOp(Int8MatmulFamilyOp):
    """`int8_linear(xq, w, xs, ws, b)`: `w` is `[out, in]` and `ws` `[out, 1]`, as
    `nn.Linear` stores a weight; both are read transposed."""

    name = "torchcall.int8_linear"


FLOAT_OPS = (
    GeluOp, SiluOp, ReluOp, SoftmaxOp, LogSoftmaxOp, LinearOp, LayerNormOp, RmsNormOp,
    TensorScalarOp, ScalarTensorOp, SdpaOp,
)
INT8_OPS = (Int8RowScaleOp, Int8QuantizeRowsOp, Int8ScaledMatmulOp, Int8LinearOp)

TorchCall = Dialect("torchcall", [*FLOAT_OPS, *INT8_OPS], [])
