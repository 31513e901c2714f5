"""`quantize`: the matmuls of float weights become int8.

In: tensor-level `model.def`s (after `lower-to-tensor`). A *site* is a `tensorops.matmul`
of a float32 lhs of rank 2 or more with a float32 weight: a 2-d `model.get_param`, read
directly or through `tensorops.transpose [1, 0]` (what `lower-linear` emits). Out:

- each weight of a site becomes an int8 parameter with a float32 companion,
  `model.param @W : tensor<OUTxINxi8>` and `model.param @W.scale : tensor<OUTx1xf32>`
  (`granularity=channel`: one scale per output channel, the weight's axis that becomes
  the columns of the product: `[1, OUT]` for a weight read untransposed as `[IN, OUT]`)
  or `tensor<f32>` (`granularity=tensor`); every read of it gets both, and
  `tensorops.dequantize` gives back the float weight to any use that is not a site (nor
  a site that reads the weight the other way round from its first site);
- `mode=weight`: that is all: each site multiplies by the dequantized weight, a prologue
  that `fuse-matmul-epilogue` moves into the `kernel.matmul`;
- in every mode, the float32 filters of a `tensorops.conv2d` and the tables of a
  `tensorops.gather` (an embedding) are stored as int8 too, one scale per output channel
  (`[OUT, 1, 1, 1]`) or per row (`[COUNT, 1]`), and computed with in float32: a
  convolution reads its dequantized filters, and a lookup gathers int8 rows and their
  scales, then dequantizes only those (`gather(dequantize(q, s), ids)` becomes
  `dequantize(gather(q, ids), gather(s, ids))`);
- `mode=dynamic`: each site quantizes its lhs per row at run time and multiplies int8 by
  int8 with int32 accumulation, then rescales by both scales:

      %hi = tensorops.reduce_max %x axes [R] keepdim      // R: the last axis
      %lo = tensorops.reduce_min %x axes [R] keepdim
      %am = tensorops.maximum %hi, (tensorops.neg %lo)    // row absmax
      %s0 = tensorops.div %am, 127
      %xs = tensorops.select (tensorops.gt %s0, 0), %s0, 1.0   // an all-zero row: 1
      %xq = tensorops.quantize %x, %xs                    // i8
      %wt = tensorops.transpose %wq [1, 0]                // the weight's own layout ops
      %st = tensorops.transpose %ws [1, 0]                // ... applied to its scale
      %p  = tensorops.matmul %xq, %wt                     // i8 x i8 -> i32
      %y  = tensorops.mul (tensorops.mul (tensorops.cast %p : f32), %xs), %st

- `mode=static`: as dynamic, with one activation scale per site, `range / 127` as a
  `tensorops.constant`, where `range` is the site's entry (`Site.key`) in the
  definition's `calibration` attribute (written by the `calibrate` pass or the runtime),
  which must be there; a site with no entry (calibration never ran it: it is in a
  method other than the one calibrated) quantizes per row as in dynamic mode.

The definition records what was done: `quantization = "dynamic"` and `granularity`. A
definition that already has a `quantization` attribute is an error (quantizing twice).
The weights themselves are quantized by whoever holds them (the runtime's `quantize()`,
with `backends/reference/quantization.py`): IR never holds weight values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import (
    DictionaryAttr, FloatAttr, ModuleOp, StringAttr, TensorType, f32, i8,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from mlang.dialects.model.structure import (
    SCALE_SUFFIX, DefOp, GetParamOp, ParamOp, symbol_name,
)
from mlang.dialects.tensorops import (
    QMAX, CastOp, ConstantOp, Conv2dOp, DequantizeOp, DivOp, GatherOp, GtOp, MatmulOp,
    MaximumOp, MulOp, NegOp, QuantizeOp, ReduceMaxOp, ReduceMinOp, SelectOp, TransposeOp,
)
from mlang.passes.lowering import is_tensor_level, not_tensor_level
from mlang.support.diagnostics import CompileError
from mlang.support.ir_verification import op_loc
from mlang.support.language_options import QUANT_MODES
from mlang.support.pass_statistics import Statistic

GRANULARITIES = ("channel", "tensor")
CALIBRATION = "calibration"
"""The `model.def` attribute of activation ranges: `{"fc1.weight" = 4.5 : f32}`."""


@dataclass
class Site:
    """A matmul of an activation with a weight parameter (possibly transposed). `key`
    names the site in the `calibration` attribute: the weight's name for its first site
    in IR order, `W#1`, `W#2`, ... for the later ones (a layer called twice)."""

    matmul: MatmulOp
    param: str
    transpose: TransposeOp | None
    key: str


def weight_of(value: SSAValue) -> tuple[GetParamOp, TransposeOp | None] | None:
    """The 2-d float32 parameter read that `value` is, directly or transposed."""
    owner = value.owner
    transpose = None
    if isinstance(owner, TransposeOp) and list(owner.permutation.get_values()) == [1, 0]:
        transpose, owner = owner, owner.input.owner
    if not isinstance(owner, GetParamOp):
        return None
    t = owner.result.type
    if not isinstance(t, TensorType) or t.element_type != f32 or t.get_num_dims() != 2:
        return None
    return owner, transpose


def find_sites(definition: DefOp) -> list[Site]:
    """The quantizable matmuls of every method, in order."""
    sites: list[Site] = []
    seen: dict[str, int] = {}
    for op in definition.body.walk():
        if not isinstance(op, MatmulOp):
            continue
        lhs = op.lhs.type
        if not isinstance(lhs, TensorType) or lhs.element_type != f32 or lhs.get_num_dims() < 2:
            continue
        found = weight_of(op.rhs)
        if found is not None:
            read, transpose = found
            param = symbol_name(read.param)
            earlier = seen[param] = seen.get(param, -1) + 1
            sites.append(Site(op, param, transpose, f"{param}#{earlier}" if earlier else param))
    return sites


def channel_axis(site: Site) -> int:
    """The axis of the weight parameter that holds the site's output channels (the
    columns of the product): 0 for a transposed `[out, in]` weight, 1 for `[in, out]`."""
    return 0 if site.transpose is not None else 1


def agreeing_sites(sites: list[Site]) -> tuple[list[Site], dict[str, int]]:
    """The sites whose weight has the output-channel axis of its first site, and that
    axis by weight; a site that reads its weight the other way round stays float."""
    axes: dict[str, int] = {}
    for site in sites:
        axes.setdefault(site.param, channel_axis(site))
    return [s for s in sites if channel_axis(s) == axes[s.param]], axes


def stored_weights(definition: DefOp) -> dict[str, int]:
    """The float32 convolution filters and lookup tables that methods read directly, with
    their output-channel axis (0: `[OUT, IN, K, K]` filters, `[COUNT, DIM]` rows)."""
    axes = {}
    for op in definition.body.walk():
        if isinstance(op, (Conv2dOp, GatherOp)):
            weight = op.weight if isinstance(op, Conv2dOp) else op.table
            read = weight.owner
            if isinstance(read, GetParamOp) and read.result.type.element_type == f32:
                axes[symbol_name(read.param)] = 0
    return axes


def scale_type(param: ParamOp, axis: int, granularity: str) -> TensorType:
    """The type of a weight's scale: one per index of `axis` (size 1 in the other
    dimensions), or one in all."""
    if granularity == "tensor":
        return TensorType(f32, [])
    sizes = param.param_type.get_shape()
    return TensorType(f32, [n if d == axis else 1 for d, n in enumerate(sizes)])


def quantize_params(definition: DefOp, axes: dict[str, int], granularity: str) -> None:
    """Makes each parameter of `axes` int8 and declares its scale after it."""
    for param in definition.params:
        name = param.sym_name.data
        if name not in axes:
            continue
        shape = param.param_type.get_shape()
        quantized = ParamOp(name, TensorType(i8, shape), param.init.data, param.scale.value.data)
        scale = ParamOp(name + SCALE_SUFFIX, scale_type(param, axes[name], granularity),
                        "ones", 1.0)
        quantized.attributes.update(param.attributes)
        definition.body.block.insert_ops_before([quantized, scale], param)
        definition.body.block.erase_op(param)


def dequantize_reads(definition: DefOp, names: set[str]) -> dict[GetParamOp, DequantizeOp]:
    """Replaces each float read of a parameter in `names` by int8 and scale reads and
    their dequantization; returns the dequantize of each new int8 read."""
    declared = {p.sym_name.data: p for p in definition.params}
    out: dict[GetParamOp, DequantizeOp] = {}
    for read in [op for op in definition.body.walk() if isinstance(op, GetParamOp)]:
        name = symbol_name(read.param)
        if name not in names:
            continue
        q = GetParamOp(name, declared[name].param_type)
        s = GetParamOp(name + SCALE_SUFFIX, declared[name + SCALE_SUFFIX].param_type)
        w = DequantizeOp(q.result, s.result)
        q.result.name_hint, s.result.name_hint = "wq", "ws"
        w.result.name_hint = read.result.name_hint
        for new in (q, s, w):
            new.location = read.location
        block = read.parent_block()
        assert block is not None
        block.insert_ops_before([q, s, w], read)
        read.result.replace_all_uses_with(w.result)
        block.erase_op(read)
        out[q] = w
    return out


class SiteRewriter:
    """Builds the int8 form of one site before its matmul."""

    def __init__(self, site: Site, ranges: dict[str, float] | None):
        self.site = site
        self.ranges = ranges
        self.ops: list[Operation] = []

    def add(self, op: Operation, hint: str | None = None) -> SSAValue:
        """Appends a new op, located at the matmul; returns its result."""
        op.location = self.site.matmul.location
        if hint is not None:
            op.results[0].name_hint = hint
        self.ops.append(op)
        return op.results[0]

    def constant(self, value: float) -> SSAValue:
        """A 0-d float32 constant."""
        return self.add(ConstantOp.from_values(TensorType(f32, []), [value]))

    def row_scales(self, x: SSAValue) -> SSAValue:
        """`absmax(row) / 127`, with 1 for an all-zero row."""
        last = len(_shape(x)) - 1
        hi = self.add(ReduceMaxOp(x, [last], True))
        lo = self.add(ReduceMinOp(x, [last], True))
        absmax = self.add(MaximumOp(hi, self.add(NegOp(lo))))
        scale = self.add(DivOp(absmax, self.constant(QMAX)))
        positive = self.add(GtOp(scale, self.constant(0.0)))
        return self.add(SelectOp(positive, scale, self.constant(1.0)), "xs")

    def static_scale(self) -> SSAValue:
        """The calibrated scale of this site's activations, `range / 127`."""
        assert self.ranges is not None
        scale = self.ranges[self.site.key] / QMAX
        return self.add(ConstantOp.from_values(TensorType(f32, []), [scale if scale > 0 else 1.0]),
                        "xs")

    def rewrite(self, q: SSAValue, s: SSAValue) -> SSAValue:
        """The rescaled int8 product that replaces the site's result."""
        mm = self.site.matmul
        x = mm.lhs
        calibrated = self.ranges is not None and self.site.key in self.ranges
        xs = self.static_scale() if calibrated else self.row_scales(x)
        xq = self.add(QuantizeOp(x, xs), "xq")
        if self.site.transpose is not None:
            q = self.add(TransposeOp(q, [1, 0]))
            if _shape(s):
                s = self.add(TransposeOp(s, [1, 0]))
        product = self.add(MatmulOp(xq, q))
        rescaled = self.add(MulOp(self.add(CastOp(product, f32)), xs))
        return self.add(MulOp(rescaled, s))


def gather_rows_first(dequantized: DequantizeOp) -> None:
    """Each lookup in a dequantized table with one scale per row gathers int8 rows and
    their scales, and dequantizes those alone rather than the whole table."""
    q, s = dequantized.input, dequantized.scale
    per_row = _shape(s) == (_shape(q)[0], 1)
    for use in list(dequantized.result.uses):
        lookup = use.operation
        if not (per_row and isinstance(lookup, GatherOp) and use.index == 0):
            continue
        rows, scales = GatherOp(q, lookup.ids), GatherOp(s, lookup.ids)
        values = DequantizeOp(rows.result, scales.result)
        for new in (rows, scales, values):
            new.location = lookup.location
        values.result.name_hint = lookup.result.name_hint
        block = lookup.parent_block()
        assert block is not None
        block.insert_ops_before([rows, scales, values], lookup)
        lookup.result.replace_all_uses_with(values.result)
        block.erase_op(lookup)


def rewrite_site(site: Site, dequantized: DequantizeOp, ranges: dict[str, float] | None) -> None:
    """Replaces a site's float product by the int8 one."""
    rewriter = SiteRewriter(site, ranges)
    value = rewriter.rewrite(dequantized.input, dequantized.scale)
    mm = site.matmul
    block = mm.parent_block()
    assert block is not None
    block.insert_ops_before(rewriter.ops, mm)
    value.name_hint = mm.result.name_hint
    mm.result.replace_all_uses_with(value)
    block.erase_op(mm)


def erase_dead(ops: list[Operation]) -> None:
    """Erases the ops of `ops` whose results are unused, until none is left."""
    live = list(dict.fromkeys(ops))  # sites of a shared weight list its transpose twice
    while dead := [op for op in live if not any(r.uses for r in op.results)]:
        for op in dead:
            assert op.parent is not None
            op.parent.erase_op(op)
        live = [op for op in live if op not in dead]


def _shape(value: SSAValue) -> tuple[int, ...]:
    """The shape of a tensor value (`?` as -1)."""
    assert isinstance(value.type, TensorType)
    return tuple(value.type.get_shape())


def activation_ranges(definition: DefOp) -> dict[str, float] | None:
    """The `calibration` attribute of a definition, by site key."""
    attr = definition.attributes.get(CALIBRATION)
    if not isinstance(attr, DictionaryAttr):
        return None
    return {k: v.value.data for k, v in attr.data.items() if isinstance(v, FloatAttr)}


def quantize_definition(definition: DefOp, mode: str, granularity: str) -> int:
    """Quantizes one definition; returns the number of sites made int8."""
    if "quantization" in definition.attributes:
        raise CompileError(op_loc(definition),
                           f"quantize: model.def @{definition.sym_name.data} is already quantized")
    for method in definition.methods.values():
        model_level = next((o for o in method.body.walk() if not is_tensor_level(o)), None)
        if model_level is not None:
            raise CompileError(op_loc(model_level),
                               f"quantize: {not_tensor_level(model_level, 'quantize')}")
    ranges = activation_ranges(definition) if mode == "static" else None
    if mode == "static" and ranges is None:
        raise CompileError(op_loc(definition),
                           f"quantize: mode=static needs the '{CALIBRATION}' attribute of "
                           f"model.def @{definition.sym_name.data}; run `calibrate` first")
    sites, axes = agreeing_sites(find_sites(definition))
    axes = {**stored_weights(definition), **axes}  # a table that is also a matmul weight
    quantize_params(definition, axes, granularity)
    dequantized = dequantize_reads(definition, set(axes))
    for d in dequantized.values():
        gather_rows_first(d)
    by_value: dict[SSAValue, tuple[GetParamOp, DequantizeOp]] = {
        d.result: (read, d) for read, d in dequantized.items()
    }
    if mode != "weight":
        for site in sites:
            weight = site.transpose.input if site.transpose else site.matmul.rhs
            _, d = by_value[weight]
            rewrite_site(site, d, ranges)
        dead: list[Operation] = [s.transpose for s in sites if s.transpose is not None]
        for read, d in dequantized.items():
            scale_read = d.scale.owner
            assert isinstance(scale_read, GetParamOp)  # as `dequantize_reads` built it
            dead += [read, d, scale_read]
        erase_dead(dead)
    definition.attributes["quantization"] = StringAttr(mode)
    definition.attributes["granularity"] = StringAttr(granularity)
    return len(sites)


@dataclass(frozen=True)
class Quantize(ModulePass):
    """Makes the matmul weights of each model.def int8 (and, by mode, its activations)."""

    name = "quantize"

    mode: str = "weight"
    granularity: str = "channel"

    sites_quantized: ClassVar[Statistic] = Statistic(
        "sites-quantized", "Number of matmuls made int8"
    )

    def __post_init__(self) -> None:
        if self.mode not in QUANT_MODES:
            raise ValueError(
                f"unknown mode '{self.mode}', expected one of {', '.join(QUANT_MODES)}"
            )
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"unknown granularity '{self.granularity}', expected one of "
                             f"{', '.join(GRANULARITIES)}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Quantizes every `model.def` of the module."""
        for definition in [d for d in op.walk() if isinstance(d, DefOp)]:
            self.sites_quantized.add(quantize_definition(definition, self.mode, self.granularity))


__all__ = ["CALIBRATION", "Quantize", "Site", "find_sites", "weight_of"]
