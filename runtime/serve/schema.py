"""A served model's signature, read from the IR of its `forward`, and the checks that turn
a request's JSON into the tensors `forward` takes.

Every rule that `/v1/models` shows as JSON Schema is checked here, by hand rather than by a
schema validator: a request of 32 rows of 64 ids is parsed and checked in well under a
millisecond, and each refusal names the field and the type it expects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute

from mlang.dialects.model.types import dtype_name, shape_of
from mlang.runtime.model import ModelInstance
from mlang.support.shapes import Dim, fmt_shape


class BadInput(Exception):
    """A request the model cannot take; its message names the field and what it expects."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


TORCH_DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16,
                 "f64": torch.float64, "i64": torch.int64, "i32": torch.int32,
                 "i8": torch.int8, "bool": torch.bool}
"""The torch dtype of each M dtype a served tensor may have."""
# numpy's kinds of array that each kind of M dtype accepts: integers are exact numbers,
# so they stand for floats too; a float never stands for an integer (ids must be exact).
_KINDS = {"float": "iuf", "int": "iu", "bool": "b"}
_JSON_TYPES = {"float": "number", "int": "integer", "bool": "boolean"}


def _kind(dtype: str) -> str:
    """`float`, `int` or `bool`: which JSON values a tensor of `dtype` is written with."""
    return "bool" if dtype == "bool" else ("int" if dtype.startswith("i") else "float")


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of `forward`: its name, M dtype and shape (None: any size)."""

    name: str
    dtype: str
    shape: tuple[Dim, ...]

    @property
    def type_text(self) -> str:
        """The type as M writes it: `f32[?, 4]`."""
        return f"{self.dtype}{fmt_shape(self.shape)}"

    @property
    def batched(self) -> bool:
        """Whether the first dimension is a free size, which batches of requests share."""
        return bool(self.shape) and self.shape[0] is None

    def json_schema(self) -> dict[str, object]:
        """The JSON Schema of this tensor as nested lists."""
        schema: dict[str, object] = {"type": _JSON_TYPES[_kind(self.dtype)]}
        for size in reversed(self.shape):
            bounds = {"minItems": 1} if size is None else {"minItems": size, "maxItems": size}
            schema = {"type": "array", "items": schema, **bounds}
        return schema

    def describe(self) -> dict[str, object]:
        """What `/v1/models` says of this tensor."""
        return {"name": self.name, "dtype": self.dtype,
                "shape": [None if d is None else d for d in self.shape], "type": self.type_text}

    def tensor(self, value: object, field: str, booleans: bool = True) -> torch.Tensor:
        """`value` (nested lists from JSON) as a tensor of this spec; BadInput otherwise.
        `booleans`: whether `value` may hold JSON booleans (numpy reads `[true, 2]` as
        `[1, 2]`, so a number tensor looks for them, at the cost of a walk)."""
        kind = _kind(self.dtype)
        expected = f"expected {self.type_text} as nested lists of {_JSON_TYPES[kind]}s"
        array = _array(value, field, expected)
        if kind != "bool" and booleans and _holds_boolean(value):
            raise BadInput(f"{field}: {expected}, got booleans")
        if array.dtype.kind not in _KINDS[kind]:
            raise BadInput(f"{field}: {expected}, got {_kind_name(array)}")
        if array.ndim != len(self.shape) or any(
                w is not None and w != d for w, d in zip(self.shape, array.shape)):
            raise BadInput(f"{field}: {expected}, got shape {list(array.shape)}")
        if array.size == 0:
            raise BadInput(f"{field}: {expected}, got an empty list")
        return _checked_cast(array, self.dtype, field)


def _array(value: object, field: str, expected: str) -> np.ndarray:
    """`value` as a numpy array; ragged lists and objects are refused."""
    if isinstance(value, (dict, str)):
        got = "an object" if isinstance(value, dict) else "a string"
        raise BadInput(f"{field}: {expected}, got {got}")
    try:
        return np.asarray(value)
    except (ValueError, TypeError, OverflowError):
        raise BadInput(f"{field}: {expected}, got lists of unequal lengths (or nested too "
                       "deeply)") from None


def _holds_boolean(value: object) -> bool:
    """Whether nested lists hold a boolean anywhere."""
    if isinstance(value, list):
        return any(_holds_boolean(v) for v in value)
    return isinstance(value, bool)


def _kind_name(array: np.ndarray) -> str:
    """What a request sent, in JSON's words, for an array of the wrong kind."""
    return {"U": "strings", "b": "booleans", "f": "numbers with fractions",
            "i": "integers", "u": "integers"}.get(array.dtype.kind, "mixed or nested values")


def _checked_cast(array: np.ndarray, dtype: str, field: str) -> torch.Tensor:
    """`array` converted to `dtype`, refusing values that the dtype cannot hold."""
    target = TORCH_DTYPES[dtype]
    if _kind(dtype) == "int":
        info = torch.iinfo(target)
        if array.min() < info.min or array.max() > info.max:
            raise BadInput(f"{field}: values must lie in [{info.min}, {info.max}] for {dtype}")
    tensor = torch.from_numpy(np.ascontiguousarray(array)).to(target)
    if target.is_floating_point and not bool(torch.isfinite(tensor).all()):
        raise BadInput(f"{field}: values must be finite {dtype} numbers")
    return tensor


def _spec(name: str, t: Attribute) -> TensorSpec:
    """The spec of one tensor (or number) type of the IR."""
    element = t.element_type if isinstance(t, TensorType) else t
    return TensorSpec(name, dtype_name(element), shape_of(t))


@dataclass(frozen=True)
class Signature:
    """The inputs and outputs of a model's `forward`."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    @staticmethod
    def of(model: ModelInstance) -> Signature:
        """The signature of `model.forward`, its input names those of the M source."""
        forward = model.definition.methods["forward"]
        names = [arg.name_hint or f"input{i}" for i, arg in enumerate(forward.body.block.args)]
        inputs, outputs = forward.function_type.inputs.data, forward.function_type.outputs.data
        out_names = (["output"] if len(outputs) == 1
                     else [f"output{i}" for i in range(len(outputs))])
        return Signature(tuple(_spec(n, t) for n, t in zip(names, inputs)),
                         tuple(_spec(n, t) for n, t in zip(out_names, outputs)))

    @property
    def batched(self) -> bool:
        """Whether requests can be stacked along the first dimension of every tensor."""
        return all(s.batched for s in (*self.inputs, *self.outputs))

    def json_schema(self) -> dict[str, object]:
        """The JSON Schema of a predict request's body."""
        named = {"type": "object", "additionalProperties": False,
                 "required": [s.name for s in self.inputs],
                 "properties": {s.name: s.json_schema() for s in self.inputs}}
        forms = [named, self.inputs[0].json_schema()] if len(self.inputs) == 1 else [named]
        return {"type": "object", "additionalProperties": False, "required": ["inputs"],
                "properties": {"inputs": {"oneOf": forms} if len(forms) > 1 else named}}

    def parse(self, inputs: object, booleans: bool = True) -> list[torch.Tensor]:
        """The tensors of a request's `inputs` field, checked against the signature
        (`booleans`: whether it may hold JSON booleans)."""
        if isinstance(inputs, Mapping):
            return self._parse_named(inputs, booleans)
        if len(self.inputs) != 1:
            names = ", ".join(s.name for s in self.inputs)
            raise BadInput(f"inputs: expected an object with the fields {names}")
        return self._check_rows([self.inputs[0].tensor(inputs, "inputs", booleans)])

    def _parse_named(self, inputs: Mapping[str, object],
                     booleans: bool) -> list[torch.Tensor]:
        """The tensors of `{"inputs": {NAME: lists}}`."""
        known = {s.name for s in self.inputs}
        extra = sorted(k for k in inputs if k not in known)
        if extra:
            raise BadInput(f"inputs.{extra[0]}: unknown field; expected "
                           f"{', '.join(s.name for s in self.inputs)}")
        for spec in self.inputs:
            if spec.name not in inputs:
                raise BadInput(f"inputs.{spec.name}: missing field ({spec.type_text})")
        return self._check_rows([s.tensor(inputs[s.name], f"inputs.{s.name}", booleans)
                                 for s in self.inputs])

    def _check_rows(self, tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Refuses batched inputs whose first dimensions differ."""
        rows = {t.shape[0] for t, s in zip(tensors, self.inputs) if s.batched}
        if len(rows) > 1:
            raise BadInput("inputs: every input must have the same number of rows, got "
                           + ", ".join(str(r) for r in sorted(rows)))
        return list(tensors)


def finite_float(text: str) -> float:
    """A JSON number as a float, refusing those too large for one (`1e400`)."""
    value = float(text)
    if not math.isfinite(value):
        raise BadInput(f"body: the number {text} is out of range")
    return value


def reject_constant(text: str) -> float:
    """JSON's non-standard `NaN` and `Infinity`, which Python would otherwise accept."""
    raise BadInput(f"body: {text} is not a JSON number; send finite numbers")
