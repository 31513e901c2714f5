"""What an M expression evaluates to while the IR is generated.

Compile-time values (`Static`: literals, hyper-parameters, dtypes, `none`, lists of
them) stay Python values until an op needs them; run-time values (`Dyn`) are SSA values
with their M type. Layers, models and functions are handles that calls resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeGuard, TypeVar

from xdsl.ir import SSAValue

from mlang.frontend import ast
from mlang.frontend.types import BOOL, FLOAT, INT, STR, ListT, MType, NoneT, TensorT, TupleT
from mlang.support.diagnostics import Loc


@dataclass(frozen=True)
class DType:
    """A dtype name used as a value, as in `cast(x, f32)`."""

    name: str


StaticValue: TypeAlias = (int | float | bool | str | DType | list["StaticValue"]
                          | tuple["StaticValue", ...] | None)
"""A compile-time value: a number, a string, a dtype, `none`, or a list or tuple of them."""


@dataclass(frozen=True)
class Static:
    """A value known at compile time."""

    value: StaticValue

    @property
    def type(self) -> MType:
        """The M type of the value."""
        return static_type(self.value)


T_co = TypeVar("T_co", bound=MType, covariant=True)


@dataclass(frozen=True)
class Dyn(Generic[T_co]):
    """A value computed at run time: an SSA value and its M type (`Dyn[TensorT]`, a tensor,
    where the type is known to be one)."""

    ssa: SSAValue
    type: T_co


@dataclass(frozen=True)
class Seq:
    """A list or tuple literal with run-time elements, such as `[a, b]` for `concat`."""

    items: tuple[Value, ...]
    is_tuple: bool


@dataclass(frozen=True)
class RunSize:
    """A size known only at run time: `(d * mul + add) // div` of dimension `axis` of
    the tensor `source`, which `shape(x)[i]` of a symbolic dimension gives inside a method
    (then `d` itself), and arithmetic on it (`t - 1`, `t // 2`) changes. `name` is that
    dimension's name (`T`)."""

    source: SSAValue
    axis: int
    name: str | None
    mul: int = 1
    add: int = 0
    div: int = 1

    @property
    def symbol(self) -> str | None:
        """The dimension's name where the size is the dimension itself, so that a tensor
        built with the size has it in its type; else None (`t - 1`)."""
        return self.name if (self.mul, self.add, self.div) == (1, 0, 1) else None

    @property
    def type(self) -> MType:
        """The M type of the value: an int."""
        return INT


@dataclass(frozen=True)
class LayerSpec:
    """A built-in layer field: its kind (`Linear`), bound arguments and parameter path."""

    kind: str
    args: dict[str, StaticValue]
    path: str
    loc: Loc

    def int_arg(self, name: str) -> int:
        """An integer argument (`make_layer` checked its kind)."""
        value = self.args[name]
        assert isinstance(value, int)
        return value

    def float_arg(self, name: str) -> float:
        """A number argument (`make_layer` checked its kind)."""
        value = self.args[name]
        assert isinstance(value, (int, float))
        return float(value)


@dataclass(frozen=True)
class SubModel:
    """A field holding an instance of another model, inlined at each call."""

    decl: ast.ModelDecl
    hparams: dict[str, StaticValue]
    path: str
    fields: dict[str, Field]
    loc: Loc


@dataclass(frozen=True)
class LayerList:
    """`repeat(n, LAYER)`: independent copies at paths `path.0`, `path.1`, ..."""

    items: tuple[Field, ...]
    path: str


@dataclass(frozen=True)
class TensorField:
    """A `param` (trainable) or `buffer` (saved, not trained) field: one tensor of the
    model at `path`, drawn by `init` ("zeros", "ones", "full", "normal") with `scale`."""

    kind: str
    path: str
    type: TensorT
    init: str
    scale: float
    loc: Loc


Field = LayerSpec | SubModel | LayerList | TensorField


@dataclass(frozen=True)
class ModelClass:
    """A model declaration used as a value (calling it instantiates the model)."""

    decl: ast.ModelDecl


@dataclass(frozen=True)
class FnRef:
    """A free function declaration used as a value."""

    decl: ast.FnDecl


@dataclass(frozen=True)
class MethodRef:
    """A method of a model, bound to the model it is called on (None: the model whose
    method is being generated)."""

    owner: Value | None
    name: str


@dataclass(frozen=True)
class FieldPath:
    """A field of a model instance named in the host program (`m.encoder`,
    `m.encoder.head`): calling it, or one of its methods, runs that field's method on the
    instance's parameters."""

    owner: Dyn[MType]
    path: str
    field: Field


@dataclass(frozen=True)
class BuiltinRef:
    """A built-in function or layer name."""

    name: str


Value: TypeAlias = (Static | Dyn[MType] | Seq | RunSize | LayerSpec | SubModel | LayerList
                    | ModelClass | FnRef | MethodRef | FieldPath | BuiltinRef | TensorField)


def is_tensor(v: Value | None) -> TypeGuard[Dyn[TensorT]]:
    """True for a run-time tensor."""
    return isinstance(v, Dyn) and isinstance(v.type, TensorT)


def static_type(v: StaticValue) -> MType:
    """The M type of a compile-time value."""
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, int):
        return INT
    if isinstance(v, float):
        return FLOAT
    if isinstance(v, str):
        return STR
    if isinstance(v, list):
        return ListT(static_type(v[0]) if v else None)
    if isinstance(v, tuple):
        return TupleT(tuple(static_type(e) for e in v))
    return NoneT()


def describe(v: Value) -> str:
    """A short description of a value for error messages."""
    if isinstance(v, Static) and isinstance(v.value, DType):
        return f"dtype {v.value.name}"  # its M type would read as 'none'
    if isinstance(v, RunSize):
        return f"a size known only at run time ({v.symbol or '?'})"
    if isinstance(v, (Static, Dyn)):
        return str(v.type)
    if isinstance(v, Seq):
        return "tuple" if v.is_tuple else "list"
    if isinstance(v, LayerSpec):
        return f"layer {v.kind}"
    if isinstance(v, SubModel):
        return f"model {v.decl.name}"
    if isinstance(v, LayerList):
        return "layer list"
    if isinstance(v, ModelClass):
        return f"model {v.decl.name}"
    if isinstance(v, FnRef):
        return f"function {v.decl.name}"
    if isinstance(v, MethodRef):
        return f"method {v.name}"
    if isinstance(v, FieldPath):
        return f"field {v.path} of a model"
    if isinstance(v, TensorField):
        return f"{v.kind} {v.path}"
    return f"built-in {v.name}"
