"""The torch backend's op printers: each op of a function body, printed as the Python
statement that computes it with PyTorch, one method per op (or family of ops).

Every op maps to the PyTorch operator with its semantics, so that float32 results are
those of PyTorch eager: tensorops one to one (`tensorops.matmul` is `torch.matmul`), and
each `torchcall` op, which `select-torch-calls` made of a chain of tensorops, as its one
call (`torchcall.layer_norm` is `torch.nn.functional.layer_norm`). An op without a
printer is a `CodegenError` that names it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from functools import singledispatchmethod

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, DenseIntOrFPElementsAttr, IntegerAttr, IntegerType, TensorType,
)
from xdsl.ir import Attribute, Operation

from mlang.backends.common.errors import CodegenError
from mlang.dialects.model.structure import symbol_name
from mlang.backends.torch.context import FunctionContext
from mlang.dialects import torchcall as tc
from mlang.dialects.model.structure import GetParamOp
from mlang.dialects.tensorops import (
    SLICE_END, AbsOp, AddOp, AndOp, ArgmaxOp, AvgPool2dOp, BatchNormOp, BinaryOp, BroadcastToOp,
    CastOp,
    ConcatOp, ConstantOp, Conv2dOp, CosOp, DequantizeOp, DivOp, DropoutOp, EqOp, ErfOp, ExpOp,
    GatherOp, GeOp, GtOp, IotaOp, LeOp, LogOp, LtOp, MatmulOp, MaxPool2dOp, MaximumOp,
    MinimumOp, MulOp, NeOp, NegOp, NotOp, OrOp, Pool2dOp, PowOp, QuantizeOp, RandomOp,
    ReduceMaxOp, ReduceMeanOp, ReduceMinOp, ReduceSumOp, ReductionOp, ReshapeOp, ReshapeTailOp,
    RsqrtOp, SelectOp, SigmoidOp, SinOp, SliceOp, SqrtOp, SubOp, TanhOp, TransposeOp, UnaryOp,
)
from mlang.dialects.tensorops.base import tensor_type_of
from mlang.dialects.tensorops.indexing import CumsumOp, PadOp, TakeAlongOp, TopkOp
from mlang.dialects.tensorops.layout import format_slice
from mlang.dialects.tensorops.sizes import (
    BroadcastDynamicOp, FullDynamicOp, ReshapeDynamicOp, RunSize, SizedOp, SliceDynamicOp,
)

TORCH_DTYPES = {
    "f16": "torch.float16", "bf16": "torch.bfloat16", "f32": "torch.float32",
    "f64": "torch.float64", "i1": "torch.bool", "i8": "torch.int8", "i32": "torch.int32",
    "i64": "torch.int64",
}
ELEMENTWISE_FUNCTIONS: dict[type[Operation], str] = {
    ExpOp: "torch.exp", LogOp: "torch.log", SqrtOp: "torch.sqrt", RsqrtOp: "torch.rsqrt",
    SinOp: "torch.sin", CosOp: "torch.cos", TanhOp: "torch.tanh", ErfOp: "torch.erf",
    SigmoidOp: "torch.sigmoid", NegOp: "torch.neg", AbsOp: "torch.abs",
    NotOp: "torch.logical_not", AddOp: "torch.add", SubOp: "torch.sub", MulOp: "torch.mul",
    DivOp: "torch.div", PowOp: "torch.pow", MaximumOp: "torch.maximum",
    MinimumOp: "torch.minimum", AndOp: "torch.logical_and", OrOp: "torch.logical_or",
    EqOp: "torch.eq", NeOp: "torch.ne", LtOp: "torch.lt", LeOp: "torch.le", GtOp: "torch.gt",
    GeOp: "torch.ge",
}
REDUCTION_FUNCTIONS: dict[type[Operation], str] = {
    ReduceSumOp: "torch.sum", ReduceMeanOp: "torch.mean", ReduceMaxOp: "torch.amax",
    ReduceMinOp: "torch.amin",
}
POOL_FUNCTIONS: dict[type[Operation], str] = {
    MaxPool2dOp: "torch.nn.functional.max_pool2d",
    AvgPool2dOp: "torch.nn.functional.avg_pool2d",
}
CALL_FUNCTIONS: dict[type[Operation], str] = {
    tc.GeluOp: "torch.nn.functional.gelu", tc.SiluOp: "torch.nn.functional.silu",
    tc.ReluOp: "torch.relu", tc.SoftmaxOp: "torch.softmax",
    tc.LogSoftmaxOp: "torch.log_softmax", tc.Int8RowScaleOp: "int8_row_scale",
    tc.Int8QuantizeRowsOp: "int8_quantize_rows", tc.Int8ScaledMatmulOp: "int8_scaled_matmul",
    tc.Int8LinearOp: "int8_linear", tc.LinearOp: "torch.nn.functional.linear",
}
"""The function that each `torchcall` op of the simple forms (its operands, then `dim`)
calls."""
NORM_FUNCTIONS: dict[type[Operation], str] = {
    tc.LayerNormOp: "torch.nn.functional.layer_norm",
    tc.RmsNormOp: "torch.nn.functional.rms_norm",
}
"""The function that each norm calls: `(x, (n,), weight(, bias), eps)`."""


def _tuple(values: Iterable[object]) -> str:
    """A Python tuple literal."""
    items = [str(v) for v in values]
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _dtype(t: Attribute) -> str:
    """The torch dtype of a tensor type's elements."""
    assert isinstance(t, TensorType)
    return TORCH_DTYPES[str(t.element_type)]


def _literal(value: float | int, element: Attribute) -> str:
    """A Python literal for one element: the shortest that converts back exactly."""
    if isinstance(element, IntegerType):
        return str(bool(value)) if element.width.data == 1 else str(int(value))
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else '-float("inf")'
    return repr(float(value)) if str(element) == "f64" else str(np.float32(value))


def _nested(values: Sequence[str], shape: Sequence[int]) -> str:
    """Row-major elements as nested Python lists of `shape`."""
    if not shape:
        return values[0]
    step = len(values) // shape[0]
    rows = (_nested(values[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0]))
    return f"[{', '.join(rows)}]"


def _real_elements(value: DenseIntOrFPElementsAttr) -> list[int | float]:
    """The elements of a constant; xDSL's may be complex pairs, which mlang never makes."""
    elements = value.get_values()
    reals = [v for v in elements if not isinstance(v, tuple)]
    if len(reals) != len(elements):
        raise CodegenError("the torch printer cannot print complex constants")
    return reals


def _tensor_literal(value: DenseIntOrFPElementsAttr) -> str:
    """A torch expression that builds a constant on `device`."""
    t = value.get_type()
    assert isinstance(t, TensorType)
    shape, kwargs = t.get_shape(), f"dtype={_dtype(t)}, device=device"
    values = [_literal(v, t.element_type) for v in _real_elements(value)]
    if not values:
        return f"torch.zeros({_tuple(shape)}, {kwargs})"
    if not shape:
        return f"torch.tensor({values[0]}, {kwargs})"
    if len(set(values)) == 1:
        return f"torch.full({_tuple(shape)}, {values[0]}, {kwargs})"
    return f"torch.tensor({_nested(values, shape)}, {kwargs})"


def _size(size: int | RunSize, ctx: FunctionContext) -> str:
    """A size: a static one as a literal, a run-time one computed from its tensor's shape
    (`ids.shape[1]`, `(ids.shape[1] - 1)`, `(ids.shape[1] * 2) // 4`)."""
    if isinstance(size, int):
        return str(size)
    dim = f"{ctx.use(size.source)}.shape[{size.axis}]"
    terms = dim + (f" * {size.mul}" if size.mul != 1 else "") + (
        f" {'-' if size.add < 0 else '+'} {abs(size.add)}" if size.add else "")
    if size.div != 1:
        return f"({terms}) // {size.div}"
    return dim if terms == dim else f"({terms})"


def _run_sizes(op: SizedOp, ctx: FunctionContext) -> str:
    """The sizes of a sized op as a tuple."""
    return _tuple(_size(s, ctx) for s in op.run_sizes())


def _run_slice(start: int | RunSize, stop: int | RunSize, step: int,
               ctx: FunctionContext) -> str:
    """One dimension's slice, `lo:hi:step`, with run-time bounds read from shapes."""
    lo = "" if start == 0 else _size(start, ctx)
    hi = "" if stop == SLICE_END else _size(stop, ctx)
    return f"{lo}:{hi}" if step == 1 else f"{lo}:{hi}:{step}"


def param(op: GetParamOp) -> str:
    """The expression that reads a parameter: `params["fc1.weight"]`."""
    return f"params[{json.dumps(symbol_name(op.param))}]"


def _call(function: str, *args: object) -> str:
    """`function(a, b, ...)`."""
    return f"{function}({', '.join(str(a) for a in args)})"


class TorchEmitter:
    """Prints ops as Python statements calling torch; one method per family of ops."""

    @singledispatchmethod
    def emit(self, op: Operation, ctx: FunctionContext) -> None:
        """Appends the statements computing `op` to `ctx`."""
        raise CodegenError(f"the torch backend cannot handle '{op.name}'")

    @emit.register(UnaryOp)
    @emit.register(BinaryOp)
    def _elementwise(self, op: UnaryOp | BinaryOp, ctx: FunctionContext) -> None:
        args = ", ".join(ctx.use(v) for v in op.operands)
        ctx.define(op.results[0], f"{ELEMENTWISE_FUNCTIONS[type(op)]}({args})")

    @emit.register
    def _select(self, op: SelectOp, ctx: FunctionContext) -> None:
        args = ", ".join(ctx.use(v) for v in op.operands)
        ctx.define(op.result, f"torch.where({args})")

    @emit.register
    def _dropout(self, op: DropoutOp, ctx: FunctionContext) -> None:
        ctx.define(
            op.result,
            f"torch.nn.functional.dropout({ctx.use(op.input)}, {op.p.value.data!r}, "
            "training=training)",
        )

    @emit.register
    def _cast(self, op: CastOp, ctx: FunctionContext) -> None:
        ctx.define(op.result, f"{ctx.use(op.input)}.to({_dtype(op.result.type)})")

    @emit.register
    def _quantize(self, op: QuantizeOp, ctx: FunctionContext) -> None:
        ctx.define(op.result, f"int8_quantize({ctx.use(op.input)}, {ctx.use(op.scale)})")

    @emit.register
    def _dequantize(self, op: DequantizeOp, ctx: FunctionContext) -> None:
        q = f"{ctx.use(op.input)}.to({_dtype(op.result.type)})"
        ctx.define(op.result, f"torch.mul({q}, {ctx.use(op.scale)})")

    @emit.register
    def _matmul(self, op: MatmulOp, ctx: FunctionContext) -> None:
        function = "int8_matmul" if _dtype(op.lhs.type) == "torch.int8" else "torch.matmul"
        ctx.define(op.result, f"{function}({ctx.use(op.lhs)}, {ctx.use(op.rhs)})")

    @emit.register
    def _conv2d(self, op: Conv2dOp, ctx: FunctionContext) -> None:
        stride, padding = _tuple(op.stride.get_values()), _tuple(op.padding.get_values())
        extra = "" if op.dilation is None else f", dilation={_tuple(op.dilation_values)}"
        extra += "" if op.group_count == 1 else f", groups={op.group_count}"
        ctx.define(
            op.result,
            f"torch.nn.functional.conv2d({ctx.use(op.input)}, {ctx.use(op.weight)}, "
            f"stride={stride}, padding={padding}{extra})",
        )

    @emit.register
    def _batch_norm(self, op: BatchNormOp, ctx: FunctionContext) -> None:
        x, weight, bias, *stats = (ctx.use(v) for v in op.operands)
        ctx.define(
            op.result,
            f"batch_norm({x}, {weight}, {bias}, ({', '.join(stats)}), training, "
            f"{op.momentum.value.data!r}, {op.eps.value.data!r})",
        )

    @emit.register
    def _pool2d(self, op: Pool2dOp, ctx: FunctionContext) -> None:
        kernel, stride = _tuple(op.kernel.get_values()), _tuple(op.stride.get_values())
        padding = _tuple(op.padding.get_values())
        ctx.define(
            op.result,
            f"{POOL_FUNCTIONS[type(op)]}({ctx.use(op.input)}, kernel_size={kernel}, "
            f"stride={stride}, padding={padding})",
        )

    @emit.register
    def _reduction(self, op: ReductionOp, ctx: FunctionContext) -> None:
        keepdim = op.keepdim is not None
        args = f"{ctx.use(op.input)}, dim={_tuple(op.axes.get_values())}, keepdim={keepdim}"
        assert isinstance(op.result.type, TensorType)
        if isinstance(op, ReduceSumOp) and isinstance(op.result.type.element_type, IntegerType):
            args += f", dtype={_dtype(op.result.type)}"  # torch would widen to int64
        ctx.define(op.result, f"{REDUCTION_FUNCTIONS[type(op)]}({args})")

    @emit.register
    def _argmax(self, op: ArgmaxOp, ctx: FunctionContext) -> None:
        keepdim = op.keepdim is not None
        ctx.define(
            op.result,
            f"torch.argmax({ctx.use(op.input)}, dim={op.axis.value.data}, keepdim={keepdim})",
        )

    @emit.register
    def _transpose(self, op: TransposeOp, ctx: FunctionContext) -> None:
        perm = _tuple(op.permutation.get_values())
        ctx.define(op.result, f"torch.permute({ctx.use(op.input)}, {perm})")

    @emit.register(ReshapeOp)
    @emit.register(BroadcastToOp)
    def _reshape(self, op: ReshapeOp | BroadcastToOp, ctx: FunctionContext) -> None:
        function = "torch.reshape" if isinstance(op, ReshapeOp) else "torch.broadcast_to"
        assert isinstance(op.result.type, TensorType)
        sizes = _tuple(-1 if d == DYNAMIC_INDEX else d for d in op.result.type.get_shape())
        ctx.define(op.result, f"{function}({ctx.use(op.input)}, {sizes})")

    @emit.register
    def _reshape_tail(self, op: ReshapeTailOp, ctx: FunctionContext) -> None:
        x, start = ctx.use(op.input), op.start.value.data
        assert isinstance(op.result.type, TensorType)
        tail = [-1 if d == DYNAMIC_INDEX else d for d in op.result.type.get_shape()[start:]]
        ctx.define(op.result, f"torch.reshape({x}, {_tuple([f'*{x}.shape[:{start}]', *tail])})")

    @emit.register
    def _iota(self, op: IotaOp, ctx: FunctionContext) -> None:
        ref, axis = ctx.use(op.reference), op.axis.value.data
        assert isinstance(op.result.type, TensorType)
        sizes = _tuple(-1 if i == axis else 1 for i in range(op.result.type.get_num_dims()))
        ctx.define(
            op.result,
            f"torch.arange({ref}.shape[{axis}], dtype={_dtype(op.result.type)}, "
            f"device={ref}.device).reshape({sizes})",
        )

    @emit.register
    def _gather(self, op: GatherOp, ctx: FunctionContext) -> None:
        # Not table[ids]: that wraps a negative id around, and is many times slower.
        table, ids = ctx.use(op.table), ctx.use(op.ids)
        assert isinstance(op.table.type, TensorType)
        if op.table.type.get_num_dims() == 2:
            pad = "" if op.padding_idx is None else f", {op.padding_idx.value.data}"
            ctx.define(op.result, f"torch.nn.functional.embedding({ids}, {table}{pad})")
            return
        rows = f"torch.index_select({table}, 0, {ids}.reshape(-1))"
        ctx.define(op.result, f"{rows}.reshape((*{ids}.shape, *{table}.shape[1:]))")

    @emit.register
    def _concat(self, op: ConcatOp, ctx: FunctionContext) -> None:
        inputs = _tuple(ctx.use(v) for v in op.inputs)
        ctx.define(op.result, f"torch.cat({inputs}, dim={op.axis.value.data})")

    @emit.register
    def _slice(self, op: SliceOp, ctx: FunctionContext) -> None:
        ranges = ", ".join(format_slice(*r) for r in op.ranges()) or "()"
        ctx.define(op.result, f"{ctx.use(op.input)}[{ranges}]")

    @emit.register
    def _reshape_dynamic(self, op: ReshapeDynamicOp, ctx: FunctionContext) -> None:
        ctx.define(op.result, f"torch.reshape({ctx.use(op.input)}, {_run_sizes(op, ctx)})")

    @emit.register
    def _broadcast_dynamic(self, op: BroadcastDynamicOp, ctx: FunctionContext) -> None:
        ctx.define(op.result, f"{ctx.use(op.input)}.expand({_run_sizes(op, ctx)})")

    @emit.register
    def _full_dynamic(self, op: FullDynamicOp, ctx: FunctionContext) -> None:
        value = _literal(op.value.value.data, tensor_type_of(op.result).element_type)
        device = f"{ctx.use(op.sources[0])}.device"
        ctx.define(op.result, f"torch.full({_run_sizes(op, ctx)}, {value}, "
                              f"dtype={_dtype(op.result.type)}, device={device})")

    @emit.register
    def _slice_dynamic(self, op: SliceDynamicOp, ctx: FunctionContext) -> None:
        ranges = ", ".join(_run_slice(*bounds, ctx) for bounds in op.bounds()) or "()"
        ctx.define(op.result, f"{ctx.use(op.input)}[{ranges}]")

    @emit.register
    def _cumsum(self, op: CumsumOp, ctx: FunctionContext) -> None:
        dtype = _dtype(op.result.type)  # torch would widen integers to int64
        ctx.define(
            op.result, f"torch.cumsum({ctx.use(op.input)}, {op.axis.value.data}, dtype={dtype})")

    @emit.register
    def _topk(self, op: TopkOp, ctx: FunctionContext) -> None:
        ctx.define_all(
            (op.values, op.indices),
            f"torch.topk({ctx.use(op.input)}, {op.k.value.data}, dim={op.axis.value.data})",
        )

    @emit.register
    def _take_along(self, op: TakeAlongOp, ctx: FunctionContext) -> None:
        ids = f"{ctx.use(op.ids)}.to(torch.int64)"
        ctx.define(op.result, f"torch.gather({ctx.use(op.input)}, {op.axis.value.data}, {ids})")

    @emit.register
    def _pad(self, op: PadOp, ctx: FunctionContext) -> None:
        pairs = zip(reversed(op.low.get_values()), reversed(op.high.get_values()))
        widths = _tuple(w for pair in pairs for w in pair)
        ctx.define(
            op.result,
            f"torch.nn.functional.pad({ctx.use(op.input)}, {widths}, "
            f"value={op.value.value.data!r})",
        )

    @emit.register
    def _random(self, op: RandomOp, ctx: FunctionContext) -> None:
        assert isinstance(op.result.type, TensorType)
        sample = "torch.randn" if op.distribution.data == "normal" else "torch.rand"
        seed = "" if op.seed is None else (
            f", generator=torch.Generator(device).manual_seed({op.seed.value.data})")
        shape = _tuple(op.result.type.get_shape())
        ctx.define(op.result, f"{sample}({shape}, device=device{seed})")

    @emit.register(ConstantOp)
    @emit.register(arith.ConstantOp)
    def _constant(self, op: ConstantOp | arith.ConstantOp, ctx: FunctionContext) -> None:
        if not isinstance(op.value, DenseIntOrFPElementsAttr):
            raise CodegenError(f"the torch backend cannot handle the scalar {op.value}")
        ctx.define(op.result, _tensor_literal(op.value))

    @emit.register
    def _get_param(self, op: GetParamOp, ctx: FunctionContext) -> None:
        ctx.define(op.result, param(op))

    # ---------------------------------------------------------------- torchcall

    @emit.register(tc.UnaryCallOp)
    @emit.register(tc.LinearOp)
    @emit.register(tc.SoftmaxFamilyOp)
    @emit.register(tc.Int8RowScaleOp)
    @emit.register(tc.Int8QuantizeRowsOp)
    @emit.register(tc.Int8MatmulFamilyOp)
    def _torch_call(self, op: Operation, ctx: FunctionContext) -> None:
        args: list[object] = [ctx.use(v) for v in op.operands]
        if (dim := op.properties.get("dim")) is not None:
            assert isinstance(dim, IntegerAttr)
            args.append(f"dim={dim.value.data}" if isinstance(op, tc.SoftmaxFamilyOp)
                        else dim.value.data)
        ctx.define_all(op.results, _call(CALL_FUNCTIONS[type(op)], *args))

    @emit.register(tc.LayerNormOp)
    @emit.register(tc.RmsNormOp)
    def _norm(self, op: tc.LayerNormOp | tc.RmsNormOp, ctx: FunctionContext) -> None:
        x, *vectors = (ctx.use(v) for v in op.operands)
        assert isinstance(op.weight.type, TensorType)
        eps = _literal(op.eps.value.data, op.eps.type)
        size = _tuple(op.weight.type.get_shape())
        ctx.define(op.result, _call(NORM_FUNCTIONS[type(op)], x, size, *vectors, eps))

    @emit.register
    def _sdpa(self, op: tc.SdpaOp, ctx: FunctionContext) -> None:
        q, k, v = (ctx.use(x) for x in (op.q, op.k, op.v))
        args = [q, k, v]
        causal = op.causal is not None
        if op.mask is not None:
            mask = self._sdpa_mask(op, ctx, q, k) if causal else ctx.use(op.mask)
            args.append(f"attn_mask={mask}")
        elif causal:
            args.append("is_causal=True")
        args.append(f"scale={_literal(op.scale.value.data, op.scale.type)}")
        if op.gqa is not None:
            args.append("enable_gqa=True")
        ctx.define(op.result, _call("torch.nn.functional.scaled_dot_product_attention", *args))

    @staticmethod
    def _sdpa_mask(op: tc.SdpaOp, ctx: FunctionContext, q: str, k: str) -> str:
        """The mask with the causal one folded in: PyTorch refuses both at once."""
        assert op.mask is not None
        seen = (f"torch.ones({q}.shape[-2], {k}.shape[-2], dtype=torch.bool, "
                f"device={q}.device).tril()")
        mask = ctx.use(op.mask)
        if _dtype(op.mask.type) == "torch.bool":
            return _call("torch.logical_and", mask, seen)
        return _call("torch.where", seen, mask, '-float("inf")')

    @emit.register
    def _tensor_scalar(self, op: tc.TensorScalarOp, ctx: FunctionContext) -> None:
        number = _literal(op.scalar.value.data, op.scalar.type)
        ctx.define(op.result, f"({ctx.use(op.input)} {op.operator.data} {number})")

    @emit.register
    def _scalar_tensor(self, op: tc.ScalarTensorOp, ctx: FunctionContext) -> None:
        number, x = _literal(op.scalar.value.data, op.scalar.type), ctx.use(op.input)
        if op.operator.data == "/":  # `c / x` is `c * reciprocal(x)` in torch: two roundings
            ctx.define(op.result, _call("torch.div", number, x))
            return
        ctx.define(op.result, f"({number} {op.operator.data} {x})")

    # ---------------------------------------------------------------- functions

    @emit.register
    def _func_call(self, op: func.CallOp, ctx: FunctionContext) -> None:
        callee = symbol_name(op.callee)
        if callee not in ctx.functions:
            raise CodegenError(f"call to @{callee}, which is not in the module")
        args = ", ".join(["params", *(ctx.use(v) for v in op.arguments), "training=training"])
        call = f"{ctx.functions[callee]}({args})"
        if not op.res:
            ctx.lines.append(call)
            return
        names = ", ".join(ctx.bind(v) for v in op.res)
        ctx.lines.append(f"{names} = {call}")

    @emit.register
    def _return(self, op: func.ReturnOp, ctx: FunctionContext) -> None:
        values = ", ".join(ctx.use(v) for v in op.arguments)
        ctx.lines.append(f"return {values}" if values else "return")
