"""Layout tensorops: transpose, reshape, reshape_tail, broadcast_to, gather, concat and
slice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, I64, DenseArrayBase, IntegerAttr, TensorType, i64,
)
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation, VarConstraint, irdl_op_definition, operand_def, opt_prop_def, prop_def,
    result_def, traits_def, var_operand_def,
)
from xdsl.irdl.declarative_assembly_format import (
    AttributeVariable, CustomDirective, ParsingState, PrintingState, irdl_custom_directive,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure

from mlang.dialects.tensorops.base import (
    AnyElement, IndexElement, TensorOp, TensorOpsCanonicalization, checked, int_array,
    normalize_axes, sizes_of, tensor_of, tensor_type_of,
)
from mlang.support.shapes import (
    Dim, ShapeError, concat_shape, fmt_shape, permute_shape, reshape_shape,
)

SLICE_END = 2**63 - 1
"""The `stop` of a slice that runs to the end of its dimension (`x[2:]`)."""

INPUT_TO_RESULT = "$input attr-dict `:` type($input) `->` type($result)"


def _sizes(shape: Sequence[int]) -> list[int]:
    """A shape with `?` written as -1, as reshape and broadcast_to targets are."""
    return [-1 if d == DYNAMIC_INDEX else d for d in shape]


@irdl_op_definition
class TransposeOp(TensorOp):
    """Permutes dimensions: result dimension `i` is input dimension `permutation[i]`."""

    name = "tensorops.transpose"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    permutation = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure(), TensorOpsCanonicalization())
    assembly_format = "$input $permutation attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, permutation: Sequence[int]):
        """Transposes by `permutation`, whose negative entries count from the end."""
        rank = len(tensor_type_of(input).get_shape())
        norm = checked(self.name, normalize_axes, permutation, rank)
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), norm)
        super().__init__(
            operands=[input], properties={"permutation": int_array(norm)},
            result_types=[result],
        )

    @classmethod
    def infer_result_type(cls, input: TensorType, permutation: Sequence[int]) -> TensorType:
        """The input's dimensions in the order of `permutation`."""
        if any(p < 0 for p in permutation):
            raise ShapeError(f"{list(permutation)} is not a permutation")
        return tensor_of(input.element_type, permute_shape(sizes_of(input), permutation))

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.input), self.permutation.get_values())


@irdl_op_definition
class ReshapeOp(TensorOp):
    """Reinterprets the elements, in row-major order, with the result's shape.

    At most one result dimension may be `?`: it takes whatever size is left over.
    """

    name = "tensorops.reshape"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure(), TensorOpsCanonicalization())
    assembly_format = INPUT_TO_RESULT

    def __init__(self, input: SSAValue, shape: Sequence[int]):
        """Reshapes to `shape`, in which -1 marks the one dimension that is inferred."""
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), shape)
        super().__init__(operands=[input], result_types=[result])

    @classmethod
    def infer_result_type(cls, input: TensorType, shape: Sequence[int]) -> TensorType:
        """`shape`, its -1 resolved when the input's size is known."""
        return tensor_of(input.element_type, reshape_shape(sizes_of(input), shape))

    def inferred_type(self) -> TensorType:
        target = _sizes(tensor_type_of(self.result).get_shape())
        return self.infer_result_type(tensor_type_of(self.input), target)


@irdl_op_definition
class ReshapeTailOp(TensorOp):
    """Reshapes the dimensions from `start` on and keeps the leading ones as they are, so
    that these may be dynamic: `x.reshape(*x.shape[:start], *tail)`.

    `tensorops.reshape_tail %q from 2 : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>`

    At most one of the new trailing sizes may be `?`: it takes whatever size is left over.
    """

    name = "tensorops.reshape_tail"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    start = prop_def(IntegerAttr[I64])
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    assembly_format = "$input `from` $start attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, start: int, tail: Sequence[int]):
        """Reshapes dimensions `start..` to `tail`, in which -1 marks an inferred size."""
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), start, tail)
        super().__init__(
            operands=[input], properties={"start": IntegerAttr(start, i64)},
            result_types=[result],
        )

    @classmethod
    def infer_result_type(
        cls, input: TensorType, start: int, tail: Sequence[int]
    ) -> TensorType:
        """The input's first `start` dimensions, then `tail` with its -1 resolved."""
        shape = sizes_of(input)
        if not 0 <= start <= len(shape):
            raise ShapeError(f"start {start} is out of range for rank {len(shape)}")
        kept = reshape_shape(shape[start:], tail)
        return tensor_of(input.element_type, [*shape[:start], *kept])

    def inferred_type(self) -> TensorType:
        start = self.start.value.data
        tail = _sizes(tensor_type_of(self.result).get_shape())[max(start, 0):]
        return self.infer_result_type(tensor_type_of(self.input), start, tail)


@irdl_op_definition
class BroadcastToOp(TensorOp):
    """Broadcasts to the result's shape, as NumPy's `broadcast_to`.

    A `?` in the result stands for the size of the aligned input dimension.
    """

    name = "tensorops.broadcast_to"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure(), TensorOpsCanonicalization())
    assembly_format = INPUT_TO_RESULT

    def __init__(self, input: SSAValue, shape: Sequence[int]):
        """Broadcasts to `shape`, in which -1 keeps the size of the input's dimension."""
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), shape)
        super().__init__(operands=[input], result_types=[result])

    @classmethod
    def infer_result_type(cls, input: TensorType, shape: Sequence[int]) -> TensorType:
        """`shape`, where -1 takes the aligned input size; new leading sizes must be known."""
        source = sizes_of(input)
        lead = len(shape) - len(source)
        if lead < 0:
            raise ShapeError(f"cannot broadcast {fmt_shape(source)} to lower rank {len(shape)}")
        if any(d < 0 for d in shape[:lead]):
            raise ShapeError("new leading dimensions must have a known size")
        out: list[Dim] = list(shape[:lead])
        for d, t in zip(source, shape[lead:]):
            out.append(d if t == -1 else _broadcast_into(d, t, source, shape))
        return tensor_of(input.element_type, out)

    def inferred_type(self) -> TensorType:
        target = _sizes(tensor_type_of(self.result).get_shape())
        return self.infer_result_type(tensor_type_of(self.input), target)


def _broadcast_into(d: Dim, t: int, source: Sequence[Dim], shape: Sequence[int]) -> int:
    """The target size `t`, after checking that input size `d` broadcasts to it."""
    if t < 0 or d not in (None, 1, t):
        raise ShapeError(f"cannot broadcast {fmt_shape(source)} to {list(shape)}")
    return t


@irdl_op_definition
class GatherOp(TensorOp):
    """Rows of `table` at integer `ids` (an embedding lookup): `[*ids, *table[1:]]`. Row
    `padding_idx` of a 2-d table, when given, takes no gradient (PyTorch's embedding
    `padding_idx`): `tensorops.gather %w[%ids] padding_idx 0 : ...`."""

    name = "tensorops.gather"
    T: ClassVar = VarConstraint("T", AnyElement)
    table = operand_def(TensorType.constr(T))
    ids = operand_def(TensorType.constr(IndexElement))
    padding_idx = opt_prop_def(IntegerAttr[I64])
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    assembly_format = (
        "$table `[` $ids `]` (`padding_idx` $padding_idx^)? attr-dict `:` type($table) `,` "
        "type($ids) `->` type($result)"
    )

    def __init__(self, table: SSAValue, ids: SSAValue, padding_idx: int | None = None):
        types = (tensor_type_of(table), tensor_type_of(ids))
        result = checked(self.name, self.infer_result_type, *types)
        props = {} if padding_idx is None else {"padding_idx": IntegerAttr(padding_idx, i64)}
        super().__init__(operands=[table, ids], properties=props, result_types=[result])

    @classmethod
    def infer_result_type(cls, table: TensorType, ids: TensorType) -> TensorType:
        """The ids' shape followed by the shape of one row."""
        rows = sizes_of(table)
        if not rows:
            raise ShapeError("the table must have rank 1 or more")
        return tensor_of(table.element_type, sizes_of(ids) + rows[1:])

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.table), tensor_type_of(self.ids))


@irdl_op_definition
class ConcatOp(TensorOp):
    """Joins tensors along `axis`; all other dimensions must agree."""

    name = "tensorops.concat"
    T: ClassVar = VarConstraint("T", AnyElement)
    inputs = var_operand_def(TensorType.constr(T))
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    assembly_format = (
        "$inputs `axis` $axis attr-dict `:` type($inputs) `->` type($result)"
    )

    def __init__(self, inputs: Sequence[SSAValue], axis: int):
        types = [tensor_type_of(v) for v in inputs]
        result = checked(self.name, self.infer_result_type, types, axis)
        rank = len(types[0].get_shape())
        super().__init__(
            operands=[inputs], properties={"axis": IntegerAttr(axis % max(rank, 1), i64)},
            result_types=[result],
        )

    @classmethod
    def infer_result_type(cls, inputs: Sequence[TensorType], axis: int) -> TensorType:
        """The common shape, with the sizes along `axis` added up."""
        if not inputs:
            raise ShapeError("concat needs at least one tensor")
        normalize_axes([axis], len(inputs[0].get_shape()))
        shape = concat_shape([sizes_of(t) for t in inputs], axis)
        return tensor_of(inputs[0].element_type, shape)

    def inferred_type(self) -> TensorType:
        types = [tensor_type_of(v) for v in self.inputs]
        return self.infer_result_type(types, self.axis.value.data)


@irdl_custom_directive
class SliceRanges(CustomDirective):
    """Python slices, one per dimension: `[1:3, :, ::2, -1:]`."""

    starts: AttributeVariable
    stops: AttributeVariable
    steps: AttributeVariable

    def parse(self, parser: Parser, state: ParsingState) -> None:
        ranges = parser.parse_comma_separated_list(
            parser.Delimiter.SQUARE, lambda: _parse_range(parser)
        )
        for i, variable in enumerate((self.starts, self.stops, self.steps)):
            variable.set(state, int_array([r[i] for r in ranges]))

    def print(self, printer: Printer, state: PrintingState, op: IRDLOperation) -> None:
        assert isinstance(op, SliceOp)  # The directive appears in no other op's format.
        text = ", ".join(format_slice(*r) for r in op.ranges())
        printer.print_string(f"[{text}]")
        state.last_was_punctuation = False
        state.should_emit_space = True


def _parse_range(parser: Parser) -> tuple[int, int, int]:
    """One `start:stop:step`, each part optional."""
    start = parser.parse_optional_integer(allow_boolean=False)
    parser.parse_punctuation(":")
    stop = parser.parse_optional_integer(allow_boolean=False)
    step = None
    if parser.parse_optional_punctuation(":"):
        step = parser.parse_optional_integer(allow_boolean=False)
    return _range_of(slice(start, stop, step))


def format_slice(start: int, stop: int, step: int) -> str:
    """The shortest Python spelling of a slice, `1:3`, `::2` or `:`."""
    text = f"{start or ''}:{'' if stop == SLICE_END else stop}"
    return text if step == 1 else f"{text}:{step}"


@irdl_op_definition
class SliceOp(TensorOp):
    """Python/NumPy basic slicing with static bounds: `tensorops.slice %x[1:3, :, ::2]`.

    Negative bounds count from the end of a dimension, and bounds are clamped to it.
    """

    name = "tensorops.slice"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    starts = prop_def(DenseArrayBase.constr(i64))
    stops = prop_def(DenseArrayBase.constr(i64))
    steps = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    custom_directives = (SliceRanges,)
    assembly_format = (
        "$input `` custom<SliceRanges>($starts, $stops, $steps) attr-dict `:` "
        "type($input) `->` type($result)"
    )

    def __init__(self, input: SSAValue, slices: Sequence[slice]):
        """Slices `input`; missing trailing dimensions are taken whole."""
        rank = len(tensor_type_of(input).get_shape())
        full = [*slices, *[slice(None)] * (rank - len(slices))]
        ranges = [_range_of(s) for s in full]
        result = checked(self.name, self.infer_result_type, tensor_type_of(input), ranges)
        super().__init__(
            operands=[input],
            properties={
                name: int_array([r[i] for r in ranges])
                for i, name in enumerate(("starts", "stops", "steps"))
            },
            result_types=[result],
        )

    def ranges(self) -> list[tuple[int, int, int]]:
        """`(start, stop, step)` for each dimension."""
        parts = (self.starts.get_values(), self.stops.get_values(), self.steps.get_values())
        return list(zip(*parts))

    @classmethod
    def infer_result_type(
        cls, input: TensorType, ranges: Sequence[tuple[int, int, int]]
    ) -> TensorType:
        """The length of each slice, `?` where the dimension is unknown."""
        shape = sizes_of(input)
        if len(ranges) != len(shape):
            raise ShapeError(f"{len(ranges)} slices given for a tensor of rank {len(shape)}")
        if any(step < 1 for _, _, step in ranges):
            raise ShapeError("slice steps must be positive")
        out = [
            None if d is None else len(range(d)[slice(start, stop, step)])
            for d, (start, stop, step) in zip(shape, ranges)
        ]
        return tensor_of(input.element_type, out)

    def inferred_type(self) -> TensorType:
        parts = (self.starts, self.stops, self.steps)
        if len({len(p) for p in parts}) != 1:
            raise ShapeError("starts, stops and steps must have one entry per dimension")
        return self.infer_result_type(tensor_type_of(self.input), self.ranges())


def _range_of(s: slice) -> tuple[int, int, int]:
    """A Python slice as `(start, stop, step)` with the open ends filled in."""
    start, stop, step = s.start, s.stop, s.step
    return (start or 0, SLICE_END if stop is None else stop, 1 if step is None else step)
