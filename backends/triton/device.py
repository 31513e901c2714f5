"""Prints the elementwise ops of a kernel body as `triton.language` expressions.

Every kernel kind computes its elementwise prologue and epilogue with `DeviceEmitter`,
one method per family of ops, over a `Tile`: the names of body values inside one
`@triton.jit` function and the lines printed so far. Floating-point values are computed
in float32 (float64 stays float64): loads convert, stores convert back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import singledispatchmethod

import numpy as np
from xdsl.dialects.builtin import IntegerType, TensorType, f64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.utils.hints import isa

from mlang.backends.common.errors import CodegenError
from mlang.dialects.tensorops import (
    AbsOp, AddOp, AndOp, BinaryOp, BroadcastToOp, CastOp, ConstantOp, CosOp, DequantizeOp,
    DivOp, DropoutOp, EqOp, ErfOp, ExpOp, GeOp, GtOp, IotaOp, LeOp, LogOp, LtOp, MaximumOp,
    MinimumOp, MulOp, NegOp, NeOp, NotOp, OrOp, PowOp, QuantizeOp, RsqrtOp, SelectOp,
    SigmoidOp, SinOp, SqrtOp, SubOp, TanhOp, UnaryOp,
)
from mlang.dialects.tensorops.constant import Scalar


TL_DTYPES = {
    "f16": "tl.float16", "bf16": "tl.bfloat16", "f32": "tl.float32", "f64": "tl.float64",
    "i1": "tl.int1", "i8": "tl.int8", "i32": "tl.int32", "i64": "tl.int64",
}
UNARY_FUNCTIONS: dict[type[Operation], str] = {
    ExpOp: "tl.exp({})", LogOp: "tl.log({})", SqrtOp: "tl.sqrt_rn({})",
    RsqrtOp: "(1.0 / tl.sqrt_rn({}))", SinOp: "tl.sin({})", CosOp: "tl.cos({})",
    TanhOp: "dl.tanh({})", ErfOp: "tl.erf({})", SigmoidOp: "tl.sigmoid({})",
    NegOp: "(-{})", AbsOp: "tl.abs({})", NotOp: "({} == 0)",
}
F64_UNARY_FUNCTIONS: dict[type[Operation], str] = {
    SqrtOp: "tl.sqrt({})", RsqrtOp: "(1.0 / tl.sqrt({}))",
}
"""Where float64 differs: `tl.sqrt_rn` takes float32 only (float64 `tl.sqrt` is exact)."""
BINARY_OPERATORS: dict[type[Operation], str] = {
    AddOp: "+", SubOp: "-", MulOp: "*", DivOp: "/", AndOp: "&", OrOp: "|", EqOp: "==",
    NeOp: "!=", LtOp: "<", LeOp: "<=", GtOp: ">", GeOp: ">=",
}


def element(value: SSAValue) -> Attribute:
    """The element type of a tensor value."""
    assert isa(value.type, TensorType[Attribute])
    return value.type.element_type


def is_float(t: Attribute) -> bool:
    """Whether an element type is a floating-point type."""
    return str(t) in ("f16", "bf16", "f32", "f64")


def compute_type(t: Attribute) -> str:
    """The Triton type a kernel computes elements of type `t` in."""
    if str(t) in ("f16", "bf16", "f32"):
        return "tl.float32"
    return TL_DTYPES[str(t)]


def literal(value: Scalar, t: Attribute) -> str:
    """A Python literal that denotes, in `t`'s compute type, exactly `value` rounded to
    `t`: float16 and bfloat16 values are float32 values, printed as float32 decimals."""
    if isinstance(t, IntegerType):
        return str(bool(value)) if t.width.data == 1 else str(int(value))
    exact = rounded(float(value), t)
    if math.isnan(exact):
        return 'float("nan")'
    if math.isinf(exact):
        return 'float("inf")' if exact > 0 else 'float("-inf")'
    return repr(exact) if t == f64 else str(np.float32(exact))


def constant(value: Scalar, t: Attribute) -> str:
    """A constant element of type `t` as a Triton expression of its compute type.

    Always typed: a bare literal takes Triton's type for Python scalars (int32 or int64
    by magnitude, float32 for any float), and an integer literal does not parse as the
    receiver of a method call (`8.to(...)`)."""
    return f"tl.full([], {literal(value, t)}, {compute_type(t)})"


def converted(value: Scalar, target: Attribute) -> Scalar | None:
    """An element cast to type `target` as PyTorch casts it; None where the result is
    undefined (a float that is not finite, cast to an integer type)."""
    if not isinstance(target, IntegerType):
        return rounded(float(value), target)
    if target.width.data == 1:
        return int(value != 0)
    if not math.isfinite(value):
        return None
    width: int = target.width.data
    size = 1 << width  # integers wrap modulo 2**width, in two's complement
    wrapped = math.trunc(value) % size
    return wrapped - size if wrapped >= size >> 1 else wrapped


def rounded(value: float, t: Attribute) -> float:
    """`value` rounded to the nearest float of type `t` (ties to even; past the largest
    finite value, infinity)."""
    if t == f64:
        return value
    with np.errstate(over="ignore"):
        single = np.array([value], dtype=np.float16 if str(t) == "f16" else np.float32)
    if str(t) != "bf16" or np.isnan(single[0]):
        return float(single[0])
    # bfloat16 is the top half of a float32: round the bottom half away, ties to even.
    bits = single.view(np.uint32)
    bits = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1)))
    return float((bits & np.uint32(0xFFFF0000)).view(np.float32)[0])


@dataclass
class Tile:
    """The names of body values inside one `@triton.jit` function, and its lines."""

    iota: Callable[[IotaOp], str] | None = None
    """Prints the indices a device `tensorops.iota` stands for, in the kernel's space."""
    names: dict[SSAValue, str] = field(default_factory=dict[SSAValue, str])
    lines: list[str] = field(default_factory=list[str])
    fresh: int = 0

    def name(self, prefix: str = "t") -> str:
        """A fresh local name."""
        self.fresh += 1
        return f"{prefix}{self.fresh}"

    def line(self, text: str) -> None:
        """Appends one line."""
        self.lines.append(text)

    def bind(self, value: SSAValue, expression: str, prefix: str = "t") -> str:
        """Assigns `expression` to a fresh name that stands for `value`."""
        name = self.name(prefix)
        self.lines.append(f"{name} = {expression}")
        self.names[value] = name
        return name

    def use(self, value: SSAValue) -> str:
        """The expression of a value: its name, or a literal for a splat constant."""
        if value in self.names:
            return self.names[value]
        owner = value.owner
        if isinstance(owner, ConstantOp) and (splat := owner.splat_value()) is not None:
            return constant(splat, element(value))
        raise CodegenError(f"value {value.name_hint or value} is not available in the kernel")


def _splat_of(value: SSAValue) -> Scalar | None:
    """The value of a splat constant operand, else None."""
    owner = value.owner
    return owner.splat_value() if isinstance(owner, ConstantOp) else None


class DeviceEmitter:
    """Prints elementwise ops into a `Tile`; one method per family of ops."""

    @singledispatchmethod
    def emit(self, op: Operation, tile: Tile) -> None:
        """Appends the lines computing `op`'s result to `tile`."""
        raise CodegenError(f"the triton backend cannot handle '{op.name}' inside a kernel")

    @emit.register
    def _unary(self, op: UnaryOp, tile: Tile) -> None:
        f64 = str(element(op.results[0])) == "f64"
        template = (F64_UNARY_FUNCTIONS.get(type(op)) if f64 else None) or UNARY_FUNCTIONS.get(
            type(op))
        if template is None:
            raise CodegenError(f"the triton backend cannot handle '{op.name}' inside a kernel")
        tile.bind(op.results[0], template.format(tile.use(op.operands[0])))

    @emit.register
    def _binary(self, op: BinaryOp, tile: Tile) -> None:
        a, b = (tile.use(v) for v in op.operands)
        if isinstance(op, PowOp):
            tile.bind(op.results[0], self._pow(a, b, _splat_of(op.operands[1])))
        elif isinstance(op, (MaximumOp, MinimumOp)):
            fn = "tl.maximum" if isinstance(op, MaximumOp) else "tl.minimum"
            nan = ", propagate_nan=tl.PropagateNan.ALL" if is_float(element(op.results[0])) else ""
            tile.bind(op.results[0], f"{fn}({a}, {b}{nan})")
        elif type(op) in BINARY_OPERATORS:
            tile.bind(op.results[0], f"({a} {BINARY_OPERATORS[type(op)]} {b})")
        else:
            raise CodegenError(f"the triton backend cannot handle '{op.name}' inside a kernel")

    @staticmethod
    def _pow(a: str, b: str, exponent: float | None) -> str:
        """`a ** b`, with small integral and half exponents written out."""
        if exponent == 1:
            return a
        if exponent == 2:
            return f"({a} * {a})"
        if exponent == 3:
            return f"({a} * {a} * {a})"
        if exponent == 0.5:
            return f"tl.sqrt_rn({a})"
        return f"dl.pow({a}, {b})"

    @emit.register
    def _select(self, op: SelectOp, tile: Tile) -> None:
        c, a, b = (tile.use(v) for v in op.operands)
        tile.bind(op.result, f"tl.where({c}, {a}, {b})")

    @emit.register
    def _cast(self, op: CastOp, tile: Tile) -> None:
        target = element(op.result)
        splat = _splat_of(op.input)
        if splat is not None and (value := converted(splat, target)) is not None:
            tile.bind(op.result, constant(value, target))
            return
        x = tile.use(op.input)
        if str(target) == "i1":
            tile.bind(op.result, f"({x} != 0)")
        else:
            tile.bind(op.result, f"{x}.to({compute_type(target)})")

    @emit.register
    def _quantize(self, op: QuantizeOp, tile: Tile) -> None:
        tile.bind(op.result, f"dl.quantize({tile.use(op.input)}, {tile.use(op.scale)})")

    @emit.register
    def _dequantize(self, op: DequantizeOp, tile: Tile) -> None:
        q, s = tile.use(op.input), tile.use(op.scale)
        tile.bind(op.result, f"({q}.to({compute_type(element(op.result))}) * {s})")

    @emit.register(BroadcastToOp)
    @emit.register(DropoutOp)
    def _identity(self, op: BroadcastToOp | DropoutOp, tile: Tile) -> None:
        # Broadcasting is implicit in a tile; kernels run inference, where dropout is a no-op.
        tile.names[op.results[0]] = tile.use(op.operands[0])

    @emit.register
    def _constant(self, op: ConstantOp, tile: Tile) -> None:
        if op.splat_value() is None:
            raise CodegenError("a dense constant must be a kernel input, not a device value")

    @emit.register
    def _iota(self, op: IotaOp, tile: Tile) -> None:
        if tile.iota is None:
            raise CodegenError("this kind of kernel has no indices for 'tensorops.iota'")
        tile.bind(op.result, f"{tile.iota(op)}.to({TL_DTYPES[str(element(op.result))]})")
