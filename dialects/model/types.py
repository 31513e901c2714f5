"""Types of host values in the `model` dialect, and conversions between IR types and shapes.

Host scalars use builtin types (`i64` int, `f64` float, `i1` bool); tensors use builtin
`tensor<...>`; tuples use builtin `tuple<...>`. What builtin lacks is defined here.
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, AnyFloat, Float64Type, IntegerType, StringAttr, TensorType,
    UnrankedTensorType, f64, i1, i64,
)
from xdsl.ir import Attribute, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import base, irdl_attr_definition, param_def

from mlang.support.shapes import Shape


@irdl_attr_definition
class ModelType(ParametrizedAttribute, TypeAttribute):
    """An instance of a specialised model, `!model.model<"Classifier_64_128_10">`.

    The name `"?"` stands for a model whose definition is only known at run time
    (the result of `load_model`).
    """

    name = "model.model"
    model_name: StringAttr = param_def(base(StringAttr))

    @property
    def is_dynamic(self) -> bool:
        """True for a model loaded at run time, whose architecture the compiler does not know."""
        return self.model_name.data == "?"


@irdl_attr_definition
class DatasetType(ParametrizedAttribute, TypeAttribute):
    """A data set of features and labels, `!model.dataset`."""

    name = "model.dataset"


@irdl_attr_definition
class TokenizerType(ParametrizedAttribute, TypeAttribute):
    """A tokenizer, `!model.tokenizer`."""

    name = "model.tokenizer"


@irdl_attr_definition
class RecordType(ParametrizedAttribute, TypeAttribute):
    """A record of named tensors (`input_ids`, ...), `!model.record`."""

    name = "model.record"


@irdl_attr_definition
class ColumnType(ParametrizedAttribute, TypeAttribute):
    """One column of a table: numbers, or text with its classes, `!model.column`."""

    name = "model.column"


@irdl_attr_definition
class StrType(ParametrizedAttribute, TypeAttribute):
    """A host string, `!model.str`."""

    name = "model.str"


@irdl_attr_definition
class ListType(ParametrizedAttribute, TypeAttribute):
    """A host list whose elements have one type, `!model.list<i64>`."""

    name = "model.list"
    element_type: Attribute = param_def()


HOST_SCALARS: dict[str, Attribute] = {"int": i64, "float": f64, "bool": i1}

DTYPE_NAMES = ("f32", "f16", "bf16", "f64", "i64", "i32", "i8", "bool")


def is_host_scalar(t: Attribute) -> bool:
    """True for the builtin types that carry host ints, floats and bools."""
    return t in (i64, f64, i1)


def is_numeric(t: Attribute) -> bool:
    """True for tensors and host scalars: what arithmetic accepts."""
    return isinstance(t, (TensorType, UnrankedTensorType)) or is_host_scalar(t)


def shape_of(t: Attribute) -> Shape:
    """The shape of a tensor type (`?` as None); host scalars are 0-d."""
    if not isinstance(t, TensorType):
        return ()
    return tuple(None if d == DYNAMIC_INDEX else d for d in t.get_shape())


def tensor_type(element: Attribute, shape: Shape) -> TensorType:
    """A tensor type from a shape whose symbolic or unknown sizes become `?`."""
    return TensorType(element, [d if isinstance(d, int) else DYNAMIC_INDEX for d in shape])


def dtype_name(element: Attribute) -> str:
    """The M name of an element type (`f32`, `i64`, `bool`, ...)."""
    if element == i1:
        return "bool"
    if isinstance(element, IntegerType):
        return f"i{element.width.data}"
    if isinstance(element, Float64Type):
        return "f64"
    text = str(element)
    return text if text in DTYPE_NAMES else text


def element_of(t: Attribute) -> Attribute:
    """The element type of a tensor, or the type itself for a host scalar."""
    return t.element_type if isinstance(t, (TensorType, UnrankedTensorType)) else t


def is_float(t: Attribute) -> bool:
    """True for floating-point tensors and host floats."""
    return isinstance(element_of(t), AnyFloat)
