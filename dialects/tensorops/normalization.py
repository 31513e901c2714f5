"""Batch normalisation, the one tensorops op with state: its running statistics."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import Float64Type, FloatAttr, TensorType, f64
from xdsl.ir import SSAValue
from xdsl.irdl import VarConstraint, irdl_op_definition, operand_def, prop_def, result_def

from mlang.dialects.tensorops.base import (
    FloatElement, TensorOp, sizes_of, tensor_type_of,
)
from mlang.support.shapes import ShapeError, dims_conflict, fmt_shape


@irdl_op_definition
class BatchNormOp(TensorOp):
    """`torch.nn.functional.batch_norm` over axis 1 of an `[N, C, ...]` input.

    While training (the run-time flag of the generated function) it normalises by the
    batch's statistics and updates `running_mean` and `running_var` in place (momentum
    `momentum`, unbiased variance) and adds one to `num_batches_tracked`; otherwise it
    normalises by the running statistics. The update makes the op not pure.

    `tensorops.batch_norm %x, %w, %b, %mean, %var, %count eps 1e-05 momentum 0.1 : ...`
    """

    name = "tensorops.batch_norm"
    T: ClassVar = VarConstraint("T", TensorType.constr(FloatElement))
    input = operand_def(T)
    weight = operand_def(TensorType)
    bias = operand_def(TensorType)
    running_mean = operand_def(TensorType)
    running_var = operand_def(TensorType)
    num_batches_tracked = operand_def(TensorType)
    eps = prop_def(FloatAttr[Float64Type])
    momentum = prop_def(FloatAttr[Float64Type])
    result = result_def(T)
    assembly_format = (
        "$input `,` $weight `,` $bias `,` $running_mean `,` $running_var `,` "
        "$num_batches_tracked `eps` $eps `momentum` $momentum attr-dict `:` "
        "type($input) `,` type($weight) `,` type($bias) `,` type($running_mean) `,` "
        "type($running_var) `,` type($num_batches_tracked)"
    )

    def __init__(self, input: SSAValue, stats: tuple[SSAValue, ...], eps: float,
                 momentum: float):
        """`stats` is (weight, bias, running_mean, running_var, num_batches_tracked)."""
        super().__init__(
            operands=[input, *stats],
            properties={"eps": FloatAttr(eps, f64), "momentum": FloatAttr(momentum, f64)},
            result_types=[tensor_type_of(input)],
        )

    @classmethod
    def infer_result_type(cls, input: TensorType, channels: TensorType) -> TensorType:
        """The input type, after checking that axis 1 has one channel per statistic."""
        x, c = sizes_of(input), sizes_of(channels)
        if len(x) < 2 or len(c) != 1 or dims_conflict(x[1], c[0]):
            raise ShapeError(f"batch_norm expects [N, {c[0] if c else '?'}, ...], "
                             f"got {fmt_shape(x)}")
        return input

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.input),
                                      tensor_type_of(self.running_mean))
