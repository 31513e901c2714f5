"""Tensorops whose result sizes are partly known only at run time: `reshape_dynamic` and
`full_dynamic`.

A run-time size is a dimension of another tensor, named by that tensor (an operand in
`sources`) and an axis (in `source_axes`), as `tensorops.iota` names its length: the
size is read from the tensor's shape where the op runs, so that a size is never a value
of its own and a kernel's operands stay tensors. `static_sizes` holds one entry per
result dimension, `DYNAMIC_INDEX` (MLIR's `kDynamic`) where the next source's size
stands, as MLIR's mixed static and dynamic sizes (`tensor.extract_slice`) do:

    %r = tensorops.reshape_dynamic %x sizes(%ids, %ids : tensor<?x?xi64>, tensor<?x?xi64>)
         {static_sizes = array<i64: -9223372036854775808, -9223372036854775808, 4, 8>,
          source_axes = array<i64: 0, 1>} : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import DYNAMIC_INDEX, DenseArrayBase, FloatAttr, TensorType, f64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    ParsePropInAttrDict, VarConstraint, irdl_op_definition, operand_def, prop_def, result_def,
    traits_def, var_operand_def,
)
from xdsl.traits import Pure

from mlang.dialects.tensorops.base import (
    AnyElement, TensorOp, checked, int_array, normalize_axes, sizes_of, tensor_of,
    tensor_type_of,
)
from mlang.support.shapes import ShapeError, reshape_shape

RunSize = tuple[SSAValue, int]
"""A size known at run time: dimension `axis` of a tensor."""

SIZES_FORMAT = "`sizes` `(` ($sources^ `:` type($sources))? `)` attr-dict"


def split_sizes(sizes: Sequence[int | RunSize]) -> tuple[list[int], list[SSAValue], list[int]]:
    """`static_sizes`, `sources` and `source_axes` of a list of static and run-time sizes."""
    static = [DYNAMIC_INDEX if isinstance(s, tuple) else s for s in sizes]
    runtime = [s for s in sizes if isinstance(s, tuple)]
    return static, [v for v, _ in runtime], [a for _, a in runtime]


def result_sizes(static: Sequence[int], sources: Sequence[SSAValue],
                 axes: Sequence[int]) -> list[int | None]:
    """The result's sizes: static ones as they are, a run-time one as its source's size
    when that is known (else `?`); -1 stays for the caller to resolve."""
    if len(sources) != len(axes) or static.count(DYNAMIC_INDEX) != len(sources):
        raise ShapeError(f"{static.count(DYNAMIC_INDEX)} run-time sizes need as many "
                         f"sources and axes, got {len(sources)} and {len(axes)}")
    known = iter(_source_size(v, a) for v, a in zip(sources, axes))
    return [next(known) if s == DYNAMIC_INDEX else s for s in static]


def _source_size(source: SSAValue, axis: int) -> int | None:
    """The size of `source` along `axis` when its type knows it."""
    shape = sizes_of(tensor_type_of(source))
    (axis,) = normalize_axes([axis], len(shape))
    return shape[axis]


class SizedOp(TensorOp):
    """A tensorops op with static and run-time result sizes (see the module docstring)."""

    sources = var_operand_def(TensorType)
    static_sizes = prop_def(DenseArrayBase)
    source_axes = prop_def(DenseArrayBase)

    def sizes(self) -> list[int | None]:
        """The result sizes as far as types know them (-1 left as it is)."""
        return result_sizes(self.static_sizes.get_values(), list(self.sources),
                            self.source_axes.get_values())


@irdl_op_definition
class ReshapeDynamicOp(SizedOp):
    """`reshape` to sizes of which some are known only at run time; one static size may
    be -1 (the rest, as in `tensorops.reshape`)."""

    name = "tensorops.reshape_dynamic"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = f"$input {SIZES_FORMAT} `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, sizes: Sequence[int | RunSize]):
        """Reshapes `input` to `sizes`, each an int or a (tensor, axis) run-time size."""
        static, sources, axes = split_sizes(sizes)
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), static,
                         sources, axes)
        super().__init__(
            operands=[input, sources], result_types=[result],
            properties={"static_sizes": int_array(static), "source_axes": int_array(axes)})

    @classmethod
    def infer_result_type(cls, input: TensorType, static: Sequence[int],
                          sources: Sequence[SSAValue], axes: Sequence[int]) -> TensorType:
        """The sizes, -1 resolved when every other size and the input's are known."""
        target = [-1 if d is None else d for d in result_sizes(static, sources, axes)]
        if target.count(-1) > 1:  # several unknown sizes: torch checks them at run time
            return tensor_of(input.element_type, [None if d == -1 else d for d in target])
        return tensor_of(input.element_type, reshape_shape(sizes_of(input), target))

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.input), self.static_sizes.get_values(),
                                      list(self.sources), self.source_axes.get_values())


@irdl_op_definition
class FullDynamicOp(SizedOp):
    """A tensor of `value` whose sizes are partly known only at run time."""

    name = "tensorops.full_dynamic"
    value = prop_def(FloatAttr)
    result = result_def(TensorType.constr(AnyElement))
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = f"{SIZES_FORMAT} `:` type($result)"

    def __init__(self, sizes: Sequence[int | RunSize], value: float, element: Attribute):
        """`value` in a tensor of `sizes` (ints or (tensor, axis) run-time sizes)."""
        static, sources, axes = split_sizes(sizes)
        if any(s < 0 for s in static if s != DYNAMIC_INDEX):
            raise ShapeError("sizes must not be negative")
        result = tensor_of(element, result_sizes(static, sources, axes))
        super().__init__(
            operands=[sources], result_types=[result],
            properties={"static_sizes": int_array(static), "source_axes": int_array(axes),
                        "value": FloatAttr(value, f64)})

    def inferred_type(self) -> TensorType:
        return tensor_of(tensor_type_of(self.result).element_type, self.sizes())


SIZED_OPS = (ReshapeDynamicOp, FullDynamicOp)
