"""Tensorops whose result sizes are partly known only at run time: `reshape_dynamic`,
`full_dynamic`, `broadcast_dynamic` and `slice_dynamic`.

A run-time size is a dimension of another tensor, named by that tensor (an operand in
`sources`) and an axis (in `source_axes`), as `tensorops.iota` names its length: the
size is read from the tensor's shape where the op runs, so that a size is never a value
of its own and a kernel's operands stay tensors. `static_sizes` holds one entry per
result dimension, `DYNAMIC_INDEX` (MLIR's `kDynamic`) where the next source's size
stands, as MLIR's mixed static and dynamic sizes (`tensor.extract_slice`) do:

    %r = tensorops.reshape_dynamic %x sizes(%ids, %ids : tensor<?x?xi64>, tensor<?x?xi64>)
         {static_sizes = array<i64: -9223372036854775808, -9223372036854775808, 4, 8>,
          source_axes = array<i64: 0, 1>} : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>

A run-time size may also be an affine function of its dimension, `(size * mul + add) //
div` (M's `t + 1`, `t - 1`, `2 * t`, `t // 2`): the optional `source_maps` holds one
`mul, add, div` triple per source, and is absent where every size is the dimension itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, DenseArrayBase, FloatAttr, IntegerType, TensorType, f64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    ParsePropInAttrDict,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.tensorops.base import (
    AnyElement,
    TensorOp,
    checked,
    int_array,
    normalize_axes,
    sizes_of,
    tensor_of,
    tensor_type_of,
)
from mlang.support.shapes import ShapeError, reshape_shape

class RunSize(NamedTuple):
    """A size known at run time: `(size * mul + add) // div` of the size of dimension
    `axis` of the tensor `source` (`div` positive)."""

    source: SSAValue
    axis: int
    mul: int = 1
    add: int = 0
    div: int = 1

    def apply(self, size: int) -> int:
        """This size where its dimension is `size`."""
        return (size * self.mul + self.add) // self.div


IDENTITY = (1, 0, 1)
"""The `mul, add, div` of a size that is its dimension."""

SizeLike = int | RunSize | tuple[SSAValue, int]
"""A size as builders take it: static, a `RunSize`, or a (tensor, axis) dimension."""

SIZES_FORMAT = "`sizes` `(` ($sources^ `:` type($sources))? `)` attr-dict"


def run_size(size: RunSize | tuple[SSAValue, int]) -> RunSize:
    """A run-time size, a (tensor, axis) pair read as that dimension itself."""
    return size if isinstance(size, RunSize) else RunSize(*size)


def split_sizes(sizes: Sequence[SizeLike]) -> tuple[list[int], list[RunSize]]:
    """`static_sizes` (`DYNAMIC_INDEX` for each run-time size) and the run-time sizes."""
    static = [DYNAMIC_INDEX if isinstance(s, tuple) else s for s in sizes]
    return static, [run_size(s) for s in sizes if isinstance(s, tuple)]


def run_properties(runtime: Sequence[RunSize]) -> dict[str, Attribute]:
    """`source_axes`, and `source_maps` where a size is not its dimension itself."""
    props: dict[str, Attribute] = {"source_axes": int_array([r.axis for r in runtime])}
    maps = [(r.mul, r.add, r.div) for r in runtime]
    if any(m != IDENTITY for m in maps):
        props["source_maps"] = int_array([n for m in maps for n in m])
    return props


def run_sizes_of(dynamic: int, sources: Sequence[SSAValue], axes: Sequence[int],
                 maps: DenseArrayBase[IntegerType] | None) -> list[RunSize]:
    """The `dynamic` run-time sizes an op's `sources`, `source_axes` and `source_maps`
    hold."""
    if not dynamic == len(sources) == len(axes):
        raise ShapeError(f"{dynamic} run-time sizes need as many sources and axes, got "
                         f"{len(sources)} and {len(axes)}")
    values = maps.get_values() if maps is not None else IDENTITY * len(sources)
    triples = [values[i:i + 3] for i in range(0, len(values), 3)]
    if len(values) != 3 * len(sources) or any(div <= 0 for _, _, div in triples):
        raise ShapeError(f"source_maps needs a mul, add, positive div triple for each of "
                         f"{len(sources)} sources")
    return [RunSize(v, a, *m) for v, a, m in zip(sources, axes, triples)]


def merge_sizes(static: Sequence[int], runtime: Sequence[RunSize]) -> list[int | RunSize]:
    """The inverse of `split_sizes`: each `DYNAMIC_INDEX` as the next run-time size."""
    it = iter(runtime)
    return [next(it) if s == DYNAMIC_INDEX else s for s in static]


def result_sizes(static: Sequence[int], runtime: Sequence[RunSize]) -> list[int | None]:
    """The result's sizes: static ones as they are, a run-time one computed from its
    source's size when that is known (else `?`); -1 stays for the caller to resolve."""
    known = iter(_known_size(r) for r in runtime)
    return [next(known) if s == DYNAMIC_INDEX else s for s in static]


def _known_size(size: RunSize) -> int | None:
    """The value of a run-time size when its source's type knows the dimension."""
    shape = sizes_of(tensor_type_of(size.source))
    (axis,) = normalize_axes([size.axis], len(shape))
    dim = shape[axis]
    return None if dim is None else size.apply(dim)


class SizedOp(TensorOp):
    """A tensorops op with static and run-time result sizes (see the module docstring)."""

    sources = var_operand_def(TensorType)
    static_sizes = prop_def(DenseArrayBase)
    source_axes = prop_def(DenseArrayBase)
    source_maps = opt_prop_def(DenseArrayBase)

    def run_sizes(self) -> list[int | RunSize]:
        """The result sizes, each static or a run-time size."""
        return merge_sizes(self.static_sizes.get_values(), self._runtime())

    def sizes(self) -> list[int | None]:
        """The result sizes as far as types know them (-1 left as it is)."""
        return result_sizes(self.static_sizes.get_values(), self._runtime())

    def _runtime(self) -> list[RunSize]:
        """The run-time sizes, in order."""
        return run_sizes_of(self.static_sizes.get_values().count(DYNAMIC_INDEX),
                            list(self.sources), self.source_axes.get_values(), self.source_maps)


def sized_properties(static: Sequence[int], runtime: Sequence[RunSize]) -> dict[str, Attribute]:
    """The properties of a `SizedOp` of these sizes."""
    return {"static_sizes": int_array(static), **run_properties(runtime)}


class SizedInputOp(SizedOp):
    """A `SizedOp` of one input whose result type its sizes and the input's give
    (`infer_result_type`): `reshape_dynamic` and `broadcast_dynamic`, whose first operand
    is the input."""

    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = f"$input {SIZES_FORMAT} `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, sizes: Sequence[SizeLike]):
        """`input` to `sizes`, each an int (-1: see the op) or a run-time size."""
        static, runtime = split_sizes(sizes)
        result = checked(self.name, self.infer_result_type, tensor_type_of(input),
                         result_sizes(static, runtime))
        super().__init__(operands=[input, [r.source for r in runtime]], result_types=[result],
                         properties=sized_properties(static, runtime))

    @classmethod
    def infer_result_type(cls, input: TensorType, sizes: Sequence[int | None]) -> TensorType:
        """The result type of `input` to `sizes` (None: known only at run time)."""
        raise NotImplementedError

    def inferred_type(self) -> TensorType:
        return self.infer_result_type(tensor_type_of(self.operands[0]), self.sizes())


@irdl_op_definition
class ReshapeDynamicOp(SizedInputOp):
    """`reshape` to sizes of which some are known only at run time; one static size may
    be -1 (the rest, as in `tensorops.reshape`)."""

    name = "tensorops.reshape_dynamic"

    @classmethod
    def infer_result_type(cls, input: TensorType, sizes: Sequence[int | None]) -> TensorType:
        """The sizes, -1 resolved when every other size and the input's are known."""
        target = [-1 if d is None else d for d in sizes]
        if target.count(-1) > 1:  # several unknown sizes: torch checks them at run time
            return tensor_of(input.element_type, [None if d == -1 else d for d in target])
        return tensor_of(input.element_type, reshape_shape(sizes_of(input), target))



@irdl_op_definition
class FullDynamicOp(SizedOp):
    """A tensor of `value` whose sizes are partly known only at run time."""

    name = "tensorops.full_dynamic"
    value = prop_def(FloatAttr)
    result = result_def(TensorType.constr(AnyElement))
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = f"{SIZES_FORMAT} `:` type($result)"

    def __init__(self, sizes: Sequence[SizeLike], value: float, element: Attribute):
        """`value` in a tensor of `sizes` (ints or run-time sizes)."""
        static, runtime = split_sizes(sizes)
        if any(s < 0 for s in static if s != DYNAMIC_INDEX):
            raise ShapeError("sizes must not be negative")
        result = tensor_of(element, result_sizes(static, runtime))
        super().__init__(operands=[[r.source for r in runtime]], result_types=[result],
                         properties={**sized_properties(static, runtime),
                                     "value": FloatAttr(value, f64)})

    def inferred_type(self) -> TensorType:
        return tensor_of(tensor_type_of(self.result).element_type, self.sizes())


@irdl_op_definition
class BroadcastDynamicOp(SizedInputOp):
    """`broadcast_to` sizes of which some are known only at run time; a static -1 keeps
    the aligned input size (`Tensor.expand`)."""

    name = "tensorops.broadcast_dynamic"

    @classmethod
    def infer_result_type(cls, input: TensorType, sizes: Sequence[int | None]) -> TensorType:
        """The sizes, each -1 the aligned input size; a static input size other than 1
        must equal a known target size."""
        shape = sizes_of(input)
        lead = len(sizes) - len(shape)
        if lead < 0:
            raise ShapeError(f"cannot broadcast rank {len(shape)} to rank {len(sizes)}")
        out: list[int | None] = list(sizes[:lead])
        for d, s in zip(shape, sizes[lead:]):
            if s is not None and s != -1 and d not in (None, 1, s):
                raise ShapeError(f"cannot broadcast size {d} to {s}")
            out.append(d if s == -1 else s)
        if any(s == -1 for s in out):
            raise ShapeError("-1 may only keep a size of the input, not a new leading one")
        return tensor_of(input.element_type, out)



Bound = int | RunSize
"""A slice bound: static, or a size known at run time."""


@irdl_op_definition
class SliceDynamicOp(TensorOp):
    """`tensorops.slice` whose starts and stops may be sizes known at run time: each
    `DYNAMIC_INDEX` in `starts`, then in `stops`, takes the next source's size. Steps are
    static; negative static bounds count from the end, and bounds are clamped."""

    name = "tensorops.slice_dynamic"
    T: ClassVar = VarConstraint("T", AnyElement)
    input = operand_def(TensorType.constr(T))
    sources = var_operand_def(TensorType)
    source_axes = prop_def(DenseArrayBase)
    source_maps = opt_prop_def(DenseArrayBase)
    starts = prop_def(DenseArrayBase)
    stops = prop_def(DenseArrayBase)
    steps = prop_def(DenseArrayBase)
    result = result_def(TensorType.constr(T))
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = f"$input {SIZES_FORMAT} `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, ranges: Sequence[tuple[SizeLike, SizeLike, int]]):
        """Slices `input` by one (start, stop, step) per dimension."""
        starts, start_sizes = split_sizes([r[0] for r in ranges])
        stops, stop_sizes = split_sizes([r[1] for r in ranges])
        steps = [r[2] for r in ranges]
        runtime = start_sizes + stop_sizes
        result = checked(self.name, self.infer_result_type, tensor_type_of(input),
                         result_sizes(starts, start_sizes), result_sizes(stops, stop_sizes),
                         steps)
        super().__init__(
            operands=[input, [r.source for r in runtime]], result_types=[result],
            properties={"starts": int_array(starts), "stops": int_array(stops),
                        "steps": int_array(steps), **run_properties(runtime)})

    @classmethod
    def infer_result_type(cls, input: TensorType, starts: Sequence[int | None],
                          stops: Sequence[int | None], steps: Sequence[int]) -> TensorType:
        """Each slice's length where its bounds and size are known, else `?`."""
        shape = sizes_of(input)
        if not len(shape) == len(starts) == len(stops) == len(steps):
            raise ShapeError(f"a tensor of rank {len(shape)} needs as many bounds")
        if any(step < 1 for step in steps):
            raise ShapeError("slice steps must be positive")
        out = [None if d is None or lo is None or hi is None else len(range(d)[lo:hi:step])
               for d, lo, hi, step in zip(shape, starts, stops, steps)]
        return tensor_of(input.element_type, out)

    def inferred_type(self) -> TensorType:
        starts, stops = self.starts.get_values(), self.stops.get_values()
        both = result_sizes([*starts, *stops], self._runtime())
        return self.infer_result_type(tensor_type_of(self.input), both[:len(starts)],
                                      both[len(starts):], self.steps.get_values())

    def bounds(self) -> list[tuple[Bound, Bound, int]]:
        """`(start, stop, step)` per dimension, a run-time bound as its `RunSize`."""
        starts, stops = self.starts.get_values(), self.stops.get_values()
        both = merge_sizes([*starts, *stops], self._runtime())
        return list(zip(both[:len(starts)], both[len(starts):], self.steps.get_values()))

    def _runtime(self) -> list[RunSize]:
        """The run-time bounds, those of `starts` first."""
        dynamic = [*self.starts.get_values(), *self.stops.get_values()].count(DYNAMIC_INDEX)
        return run_sizes_of(dynamic, list(self.sources), self.source_axes.get_values(),
                            self.source_maps)

    def verify_(self) -> None:
        dynamic = [*self.starts.get_values(), *self.stops.get_values()].count(DYNAMIC_INDEX)
        if dynamic != len(self.sources) or dynamic != len(self.source_axes.get_values()):
            raise VerifyException(f"{self.name}: {dynamic} run-time bounds need as many "
                                  "sources and axes")
        super().verify_()


SIZED_OPS = (ReshapeDynamicOp, FullDynamicOp, BroadcastDynamicOp, SliceDynamicOp)
