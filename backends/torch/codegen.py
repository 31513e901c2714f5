"""The PyTorch backend: prints `func.func`s of tensorops as Python functions calling torch.

Each function becomes `def name(params, *args, training=False)`, where `params` maps
parameter names (`"fc1.weight"`) to tensors for `model.get_param` and `training` switches
`tensorops.dropout` on (calls pass it on), with one statement per op (and a docstring
giving the IR signature):

    def forward(params, x, training=False):
        w = params["fc1.weight"]
        wt = torch.permute(w, (1, 0))
        v0 = torch.matmul(x, wt)
        return v0

`generate_module` returns the source of a Python module holding one function per
`func.func` and a `FUNCTIONS` table by IR name. `compile_module` parses IR text, generates,
and executes that module; its result is cached by a sha256 of the IR in memory and on
disk (see `backends/common/cache.py`), so that a warm start neither parses nor generates.
Every op maps to the PyTorch operator with its semantics, so float32 results are those of
PyTorch eager.
"""

from __future__ import annotations

import builtins
import json
import keyword
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import singledispatchmethod
from typing import Any

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, DenseIntOrFPElementsAttr, IntegerType, ModuleOp, TensorType,
)
from xdsl.ir import Attribute, Operation, SSAValue

from mlang.dialects.model import GetParamOp
from mlang.dialects.tensorops import (
    RANDOM_OPS, AbsOp, AddOp, AndOp, ArgmaxOp, AvgPool2dOp, BinaryOp, BroadcastToOp, CastOp,
    ConcatOp, ConstantOp, Conv2dOp, CosOp, DequantizeOp, DivOp, DropoutOp, EqOp, ErfOp, ExpOp,
    GatherOp, GeOp, GtOp, IotaOp, LeOp, LogOp, LtOp, MatmulOp, MaxPool2dOp, MaximumOp,
    MinimumOp, MulOp, NeOp, NegOp, NotOp, OrOp, Pool2dOp, PowOp, QuantizeOp, RandomOp,
    ReduceMaxOp, ReduceMeanOp, ReduceMinOp, ReduceSumOp, ReductionOp, ReshapeOp, ReshapeTailOp,
    RsqrtOp, SelectOp, SigmoidOp, SinOp, SliceOp, SqrtOp, SubOp, TanhOp, TransposeOp, UnaryOp,
)
from mlang.backends.common.cache import cache_dir, key_of, load_or_generate
from mlang.backends.common.errors import CodegenError
from mlang.backends.common.names import identifier, python_names
from mlang.backends.torch.idioms import Idiom
from mlang.backends.torch.idioms import match as match_idiom
from mlang.dialects.tensorops.layout import format_slice

Functions = dict[str, Callable[..., Any]]

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
KERNELS = ("int8_matmul", "int8_row_scale", "int8_quantize", "int8_quantize_rows",
           "int8_scaled_matmul", "int8_linear")
"""The helpers of `kernels.py` that generated code may call (named here so that printing
never imports torch)."""
RESERVED = frozenset(
    {"torch", "params", "training", "device", "FUNCTIONS", *KERNELS, *keyword.kwlist,
     *dir(builtins)}
)
"""Names that generated code refers to, which values and functions must not shadow."""


@dataclass
class FunctionContext:
    """What the emitter knows while printing one function: names and lines so far."""

    functions: Mapping[str, str]
    """Python names of the module's functions, by IR symbol."""
    names: dict[SSAValue, str] = field(default_factory=dict[SSAValue, str])
    lines: list[str] = field(default_factory=list[str])
    anonymous: int = 0
    taken: set[str] = field(default_factory=set[str])
    """Every name given so far, with the functions' names: kept, not rebuilt per value,
    so that printing stays linear in the number of values."""

    def __post_init__(self) -> None:
        self.taken.update(self.functions.values())

    def bind(self, value: SSAValue) -> str:
        """Gives `value` a fresh name: its name hint if usable, else `v0`, `v1`, ..."""
        name = identifier(value.name_hint, RESERVED)
        while name is None or name in self.taken:
            name, self.anonymous = f"v{self.anonymous}", self.anonymous + 1
        self.names[value] = name
        self.taken.add(name)
        return name

    def use(self, value: SSAValue) -> str:
        """The name of a value defined earlier."""
        if value not in self.names:
            raise CodegenError(f"value {value} is used before it is defined")
        return self.names[value]

    def define(self, value: SSAValue, expression: str) -> None:
        """Emits `name = expression` for a new value."""
        self.define_all((value,), expression)

    def define_all(self, values: Sequence[SSAValue], expression: str) -> None:
        """Emits `a, b = expression` for new values that one call gives."""
        self.lines.append(f"{', '.join(self.bind(v) for v in values)} = {expression}")


@dataclass(frozen=True)
class Statement:
    """One printed statement: an op, or the idiom it ends, and the values it reads."""

    op: Operation
    idiom: Idiom | None
    reads: tuple[SSAValue, ...]

    @property
    def defines(self) -> tuple[SSAValue, ...]:
        """The values the statement defines: its op's, and those its idiom gives too."""
        return (*self.op.results, *(self.idiom.also if self.idiom is not None else ()))


EFFECTS = (func.ReturnOp, func.CallOp, *RANDOM_OPS)
"""Ops printed even when nothing reads their results: random ones draw numbers, and
leaving one out would change the draws after it."""


def plan(ops: Sequence[Operation]) -> list[Statement]:
    """The statements that compute a function body, in order: an op that ends an idiom
    stands for the idiom's ops, and an op whose values nothing reads is left out."""
    needed: set[SSAValue] = set()
    inner: set[Operation] = set()
    statements: list[Statement] = []
    for op in reversed(ops):
        if op in inner or not (isinstance(op, EFFECTS) or any(r in needed for r in op.results)):
            continue
        idiom = match_idiom(op)
        reads = tuple(op.operands) if idiom is None else idiom.inputs
        if idiom is not None:
            inner.update(idiom.inner)
        needed.update(reads)
        statements.append(Statement(op, idiom, reads))
    return statements[::-1]


def dead_after(statements: Sequence[Statement]) -> list[list[SSAValue]]:
    """For each statement, the values that no later statement reads: those it reads for
    the last time, and those it defines that nothing reads. The emitter deletes them, so
    that each intermediate tensor is freed when it dies, as in PyTorch eager, rather than
    when the function returns (on the 12-layer BERT encoder of `bench/encoder.py`,
    keeping them makes a forward pass ~1.4x slower, through fresh pages)."""
    last = {v: i for i, s in enumerate(statements) for v in s.reads}
    return [
        [*dict.fromkeys(v for v in s.reads if last[v] == i),
         *(r for r in s.defines if r not in last)]
        for i, s in enumerate(statements)
    ]


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


def _tensor_literal(value: DenseIntOrFPElementsAttr) -> str:
    """A torch expression that builds a constant on `device`."""
    t = value.get_type()
    assert isinstance(t, TensorType)
    shape, kwargs = t.get_shape(), f"dtype={_dtype(t)}, device=device"
    values = [_literal(v, t.element_type) for v in value.get_values()]  # type: ignore[arg-type]
    if not values:
        return f"torch.zeros({_tuple(shape)}, {kwargs})"
    if not shape:
        return f"torch.tensor({values[0]}, {kwargs})"
    if len(set(values)) == 1:
        return f"torch.full({_tuple(shape)}, {values[0]}, {kwargs})"
    return f"torch.tensor({_nested(values, shape)}, {kwargs})"


def _param(op: GetParamOp) -> str:
    """The expression that reads a parameter: `params["fc1.weight"]`."""
    return f"params[{json.dumps(op.param.string_value())}]"


def _device(f: func.FuncOp, statements: Sequence[Statement], ctx: FunctionContext) -> str | None:
    """Where a function's constants and samples get their device: its first tensor
    argument, else its first parameter; None when it prints neither."""
    ops = [s.op for s in statements if s.idiom is None]
    if not any(isinstance(op, (ConstantOp, arith.ConstantOp, RandomOp)) for op in ops):
        return None
    for arg in f.body.block.args:
        if isinstance(arg.type, TensorType):
            return f"{ctx.use(arg)}.device"
    params = [op for op in f.body.block.ops if isinstance(op, GetParamOp)]
    return f"{_param(params[0])}.device" if params else "None"


class TorchEmitter:
    """Prints functions of tensorops as Python source; one method per family of ops."""

    def function(self, f: func.FuncOp, functions: Mapping[str, str]) -> list[str]:
        """The lines of `def name(params, *args, training=False):` for one `func.func`."""
        if f.is_declaration:
            raise CodegenError(f"function @{f.sym_name.data} has no body")
        ctx = FunctionContext(functions)
        args = ", ".join(["params", *(ctx.bind(arg) for arg in f.body.block.args)])
        lines = [
            f"def {functions[f.sym_name.data]}({args}, training=False):",
            f'    """@{f.sym_name.data}: {f.function_type}"""',
        ]
        statements = plan(list(f.body.block.ops))
        if (device := _device(f, statements, ctx)) is not None:
            ctx.lines.append(f"device = {device}")
        for statement, dead in zip(statements, dead_after(statements)):
            if statement.idiom is None:
                self.emit(statement.op, ctx)
            else:
                names = [ctx.use(v) for v in statement.idiom.inputs]
                ctx.define_all((statement.op.results[0], *statement.idiom.also),
                               statement.idiom.expression(names))
            if dead and not isinstance(statement.op, func.ReturnOp):
                ctx.lines.append(f"del {', '.join(ctx.use(v) for v in dead)}")
        return lines + [f"    {line}" for line in ctx.lines]

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
        ctx.define(
            op.result,
            f"torch.nn.functional.conv2d({ctx.use(op.input)}, {ctx.use(op.weight)}, "
            f"stride={stride}, padding={padding})",
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
            ctx.define(op.result, f"torch.nn.functional.embedding({ids}, {table})")
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
        ctx.define(op.result, _param(op))

    @emit.register
    def _call(self, op: func.CallOp, ctx: FunctionContext) -> None:
        callee = op.callee.string_value()
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


def _kernels(text: str) -> list[str]:
    """The helpers of `kernels.py` that generated code calls."""
    return [name for name in KERNELS if re.search(rf"\b{name}\(", text)]


def generate_module(functions: Iterable[func.FuncOp]) -> str:
    """The source of a Python module with one torch function per `func.func`."""
    functions = list(functions)
    names = python_names(functions, RESERVED)
    emitter = TorchEmitter()
    body: list[str] = []
    for f in functions:
        body += ["", "", *emitter.function(f, names)]
    parts = ['"""Generated by the mlang torch backend from tensorops IR."""', "", "import torch"]
    if kernels := _kernels("\n".join(body)):
        parts.append(f"from mlang.backends.torch.kernels import {', '.join(kernels)}")
    parts += body
    table = ", ".join(f"{json.dumps(symbol)}: {name}" for symbol, name in names.items())
    return "\n".join([*parts, "", "", f"FUNCTIONS = {{{table}}}", ""])


def compile_functions(functions: Iterable[func.FuncOp]) -> Functions:
    """Torch functions for IR held in memory, by IR name, without any caching."""
    return load_module(generate_module(functions))


def load_module(python: str, filename: str = "<mlang-torch>") -> Functions:
    """Executes generated source in a fresh namespace; returns its functions by IR name."""
    namespace: dict[str, Any] = {}
    exec(compile(python, filename, "exec"), namespace)
    return dict(namespace["FUNCTIONS"])


_compiled: dict[str, Functions] = {}


def compile_module(source: str) -> Functions:
    """Compiles the `func.func`s of an IR module to torch functions, by IR name.

    The result is cached in memory and on disk (`cache_dir("torch")/KEY.py`, see
    `backends/common/cache.py`) by a sha256 of the IR text; a disk hit skips parsing and
    generation. Functions are found wherever they are nested (for example inside a
    `model.def`), and their names must be distinct.
    """
    key = key_of(source)
    if key not in _compiled:
        _compiled[key] = load_or_generate(
            cache_dir("torch") / f"{key}.py", lambda: generate_module(_parse_functions(source)),
            lambda python, path: load_module(python, str(path or "<mlang-torch>"))).value
    return dict(_compiled[key])


def forget_compiled() -> None:
    """Empties the in-memory cache of `compile_module`; the disk cache stays."""
    _compiled.clear()


def _parse_functions(source: str) -> list[func.FuncOp]:
    """The `func.func`s of an IR module, in order."""
    from xdsl.parser import Parser

    from mlang.dialects import make_context

    module: ModuleOp = Parser(make_context(), source).parse_module()
    return [op for op in module.walk() if isinstance(op, func.FuncOp)]
