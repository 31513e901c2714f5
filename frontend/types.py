"""M's static types as the checker sees them, and their IR types.

Unlike IR types, tensor types here keep symbolic sizes (`N`), so that equal names can be
checked to be equal sizes. `shape=None` is a tensor of unknown rank (from a model loaded
at run time).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects.builtin import (
    ArrayAttr, BFloat16Type, Float16Type, Float32Type, Float64Type, IntegerType, NoneType,
    StringAttr, TensorType, TupleType, UnrankedTensorType, bf16, f16, f32, f64, i1, i8, i32, i64,
)
from xdsl.ir import Attribute, TypeAttribute

from mlang.dialects.model.types import (
    ColumnType, DatasetType, ListType, ModelType, RecordType, StrType, TokenizerType, tensor_type,
)
from mlang.support.shapes import Shape, fmt_shape

DTYPES: dict[str, TypeAttribute] = {
    "f32": f32, "f16": f16, "bf16": bf16, "f64": f64, "i64": i64, "i32": i32, "i8": i8,
    "bool": i1,
}
FLOAT_DTYPES = ("f16", "bf16", "f32", "f64")
INT_DTYPES = ("i8", "i32", "i64")
SCALAR_TENSORS = {"int": "i64", "float": "f32", "bool": "bool"}
"""The dtype of the 0-d tensor that a method's number parameter is in IR; the host program
passes a number, which the runtime makes that tensor."""
SCALAR_KINDS = ("int", "float", "bool", "str")


@dataclass(frozen=True)
class TensorT:
    """A tensor: element dtype name and shape (None: unknown rank)."""

    dtype: str
    shape: Shape | None

    def __str__(self) -> str:
        return f"{self.dtype}[*]" if self.shape is None else f"{self.dtype}{fmt_shape(self.shape)}"


@dataclass(frozen=True)
class ScalarT:
    """A host scalar: `int`, `float`, `bool` or `str`."""

    kind: str

    def __str__(self) -> str:
        return self.kind


@dataclass(frozen=True)
class DatasetT:
    """A data set; its feature count and label dtype when known at compile time (bundled
    data sets). They refine `data.x` and `data.y` but do not distinguish types."""

    features: int | None = field(default=None, compare=False)
    labels: str = field(default="f32", compare=False)
    record: RecordT | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return "dataset"


@dataclass(frozen=True)
class TokenizerT:
    """A tokenizer (Hugging Face `tokenizers`)."""

    def __str__(self) -> str:
        return "tokenizer"


@dataclass(frozen=True)
class RecordT:
    """A record of named tensors; `fields` when known at compile time (else any name is
    allowed and read as a tensor of unknown rank)."""

    fields: tuple[tuple[str, TensorT], ...] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return "record"


@dataclass(frozen=True)
class ColumnT:
    """One column of a data set read from a table."""

    def __str__(self) -> str:
        return "column"


@dataclass(frozen=True)
class ModelT:
    """A model instance; `definition` is the specialised model's symbol, or None if dynamic."""

    definition: str | None
    quantized: bool = False

    def __str__(self) -> str:
        return f"model {self.definition or '(loaded)'}" + (" (int8)" if self.quantized else "")


@dataclass(frozen=True)
class ListT:
    """A host list; `element` is None for the empty list."""

    element: MType | None

    def __str__(self) -> str:
        return f"list[{self.element or ''}]"


@dataclass(frozen=True)
class TupleT:
    """A host tuple."""

    elements: tuple[MType, ...]

    def __str__(self) -> str:
        return "(" + ", ".join(map(str, self.elements)) + ")"


@dataclass(frozen=True)
class NoneT:
    """The value `none`."""

    def __str__(self) -> str:
        return "none"


MType = (TensorT | ScalarT | DatasetT | ModelT | ListT | TupleT | NoneT | TokenizerT | RecordT
         | ColumnT)

INT, FLOAT, BOOL, STR = ScalarT("int"), ScalarT("float"), ScalarT("bool"), ScalarT("str")
SCALAR_IR_TYPES: dict[str, TypeAttribute] = {
    "int": i64, "float": f64, "bool": i1, "str": StrType(),
}
"""The IR types of host scalars."""


def ir_type(t: MType) -> TypeAttribute:
    """The IR type that carries values of M type `t`."""
    if isinstance(t, TensorT):
        if t.shape is None:
            return UnrankedTensorType(DTYPES[t.dtype])
        return tensor_type(DTYPES[t.dtype], t.shape)
    if isinstance(t, ScalarT):
        return SCALAR_IR_TYPES[t.kind]
    if isinstance(t, DatasetT):
        return DatasetType()
    if isinstance(t, ModelT):
        return ModelType(StringAttr(t.definition or "?"))
    if isinstance(t, ListT):
        return ListType(NoneType() if t.element is None else ir_type(t.element))
    if isinstance(t, TupleT):
        return TupleType(ArrayAttr(ir_type(e) for e in t.elements))
    return _DATA_TYPES.get(type(t), NoneType())


_DATA_TYPES: dict[type[MType], TypeAttribute] = {
    TokenizerT: TokenizerType(), RecordT: RecordType(), ColumnT: ColumnType(),
}
"""The IR types of the text and table values, which have no parameters."""


def dtype_of_element(element: Attribute) -> str:
    """The M dtype name of an IR element type."""
    for name, t in DTYPES.items():
        if t == element:
            return name
    raise ValueError(f"no M dtype for {element}")


def category(dtype: str) -> int:
    """Promotion category: bool 0, integers 1, floats 2."""
    if dtype == "bool":
        return 0
    return 1 if dtype in INT_DTYPES else 2


def _wider(a: str, b: str) -> str:
    """The larger of two dtypes of one category, as torch.promote_types picks it."""
    if {a, b} == {"f16", "bf16"}:
        return "f32"
    order = ("bool", "i8", "i32", "i64", "f16", "bf16", "f32", "f64")
    return max(a, b, key=order.index)


def promote(a: str, a_weak: bool, b: str, b_weak: bool) -> str:
    """The result dtype of a binary op, as `torch.result_type` decides it.

    A weak operand is a Python-like scalar (a literal, a hyper-parameter, a host number):
    it only decides the category when it is of a higher one, and then takes that category's
    default dtype (f32 for floats, i64 for ints).
    """
    if a_weak == b_weak:
        return _wider(a, b)
    strong, weak = (b, a) if a_weak else (a, b)
    if category(weak) <= category(strong):
        return strong
    return "f32" if category(weak) == 2 else "i64"


def scalar_dtype(kind: str) -> str:
    """The dtype a host scalar of this kind takes as a weak operand."""
    return {"int": "i64", "float": "f64", "bool": "bool"}[kind]


def is_float_dtype(dtype: str) -> bool:
    """True for floating-point dtypes."""
    return dtype in FLOAT_DTYPES


def from_ir_type(t: Attribute) -> MType:
    """The M type of an IR type (symbolic sizes are lost: they come back as unknown)."""
    if isinstance(t, TensorType):
        shape = tuple(None if d == -1 else d for d in t.get_shape())
        return TensorT(dtype_of_element(t.element_type), shape)
    if isinstance(t, UnrankedTensorType):
        return TensorT(dtype_of_element(t.element_type), None)
    if isinstance(t, IntegerType):
        return BOOL if t == i1 else INT
    if isinstance(t, (Float64Type, Float32Type, Float16Type, BFloat16Type)):
        return FLOAT
    if isinstance(t, StrType):
        return STR
    if isinstance(t, DatasetType):
        return DatasetT()
    if isinstance(t, ModelType):
        return ModelT(None if t.is_dynamic else t.model_name.data)
    if isinstance(t, ListType):
        elem = t.element_type
        return ListT(None if isinstance(elem, NoneType) else from_ir_type(elem))
    if isinstance(t, TupleType):
        return TupleT(tuple(from_ir_type(e) for e in t.types.data))
    if isinstance(t, TokenizerType):
        return TokenizerT()
    if isinstance(t, RecordType):
        return RecordT()
    if isinstance(t, ColumnType):
        return ColumnT()
    return NoneT()
