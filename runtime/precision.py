"""Half-precision execution (`mrun --dtype bf16|f16`): models store their floating
parameters in bfloat16 or float16, and their methods compute in that dtype.

The meaning, PyTorch's: a model definition is compiled with every `f32` element type of
its IR replaced by the half dtype (`retype_floats`; `f64` and integers stay), so that each
backend generates code typed for it; parameters are stored converted
(`convert_parameters`, also what a loader of pretrained weights calls); floating inputs
are cast to the half dtype on the way in, and floating results back to float32 on the
way out, so that the host program (printing, `evaluate`, `predict`, losses) sees the
float32 values its types promise. Matmuls and reductions accumulate in float32: the
Triton kernels load half values as float32, compute, and round on store; PyTorch's CPU
and CUDA kernels accumulate half matmuls, softmax, norms and sums in float32.

Quantized models (int8 weights with float32 scales) run in float32 as they are: their
half inputs and parameters are cast to float32. `save` writes a package's weights widened
to the float32 its IR declares. `fit` trains the half parameters themselves (no float32
master copy); mixed-precision training is another option's work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from xdsl.dialects.builtin import (
    AnyFloat,
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    TensorType,
    bf16,
    f16,
    f32,
)
from xdsl.ir import Attribute, Operation, ParametrizedAttribute, SSAValue
from xdsl.rewriter import Rewriter

from mlang.backends import Backend, CompiledModel, RunOptions
from mlang.backends.reference.functional import DTYPES
from mlang.dialects.model.structure import DefOp
from mlang.dialects.model.types import dtype_name
from mlang.runtime.model import ModelInstance, quantization_mode

HALF_DTYPES: dict[str, tuple[torch.dtype, AnyFloat]] = {
    "bf16": (torch.bfloat16, bf16),
    "f16": (torch.float16, f16),
}
"""The half dtypes by M name: torch's dtype and the IR element type."""

TOLERANCE: dict[str, float] = {"bf16": 2e-2, "f16": 5e-3}
"""How far a half-precision result may be from float32, relative to the largest
magnitude of the float32 result (documented in docs/M-LANGUAGE.md)."""


_HALF = (torch.bfloat16, torch.float16)
_CASTABLE = (torch.float32, *_HALF)


def torch_dtype(name: str) -> torch.dtype:
    """torch's dtype for the M name of a half dtype (`bf16`, `f16`)."""
    return HALF_DTYPES[name][0]


# ------------------------------------------------------------------------------ weights


def convert_parameters(params: Mapping[str, torch.Tensor],
                       dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """`params` with every float32 tensor converted to `dtype`, as new leaf tensors; the
    rest (integer weights, float64) as they are."""
    return {name: _converted(p, dtype) for name, p in params.items()}


def _converted(tensor: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    """`tensor` in half `dtype` if it is float32, else unchanged; a parameter stays a leaf."""
    if tensor.dtype != torch.float32 or dtype not in _HALF:
        return tensor
    return tensor.detach().to(dtype).requires_grad_(tensor.requires_grad)


def _cast(tensor: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    """`tensor` in `dtype` (differentiably) if both are float32 or half, else unchanged."""
    return tensor.to(dtype) if tensor.dtype in _CASTABLE and dtype in _CASTABLE else tensor


def _torch_type(element: Attribute) -> torch.dtype | None:
    """torch's dtype of an IR element type, None for one torch lacks."""
    return DTYPES.get(dtype_name(element))


def stored_parameters(compiled: CompiledModel,
                      params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The parameters of a fresh instance of `compiled` as it stores them: converted to
    its half dtype if it runs in one."""
    if not isinstance(compiled, PrecisionModel):
        return params
    return {name: _converted(p, compiled.params.get(name)) for name, p in params.items()}


def declared_parameters(definition: DefOp,
                        params: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`params` as `definition` declares them, as a model package holds them: the half
    tensors of float32 parameters widened (exactly) to float32."""
    wide = {p.sym_name.data for p in definition.params if p.param_type.element_type == f32}
    return {name: p.float() if p.dtype in _HALF and name in wide else p
            for name, p in params.items()}


# ---------------------------------------------------------------------------------- IR


def retype_floats(definition: DefOp, element: AnyFloat) -> DefOp:
    """A clone of `definition` with every f32 element type (of values, parameters,
    signatures and constants) replaced by `element`."""
    clone = definition.clone()
    rewriter = Rewriter()
    for op in clone.walk():
        _retype_attributes(op, element)
        for region in op.regions:
            for block in region.blocks:
                for arg in block.args:
                    _retype_value(rewriter, arg, element)
        for result in op.results:
            _retype_value(rewriter, result, element)
    return clone


def _retype_value(rewriter: Rewriter, value: SSAValue, element: AnyFloat) -> None:
    """Gives `value` its type with f32 replaced, if that changes it."""
    new = _retyped(value.type, element)
    if new != value.type:
        rewriter.replace_value_with_new_type(value, new)


def _retype_attributes(op: Operation, element: AnyFloat) -> None:
    """Replaces f32 in the properties and attributes of `op`."""
    for table in (op.properties, op.attributes):
        for name, attr in table.items():
            table[name] = _retyped(attr, element)


def _retyped(attr: Attribute, element: AnyFloat) -> Attribute:
    """`attr` with f32 replaced by `element` wherever it occurs inside it."""
    if attr == f32:
        return element
    if isinstance(attr, DenseIntOrFPElementsAttr):
        return _retyped_dense(attr, element)
    if isinstance(attr, ArrayAttr):
        return ArrayAttr(_retyped(a, element) for a in attr.data)
    if isinstance(attr, DictionaryAttr):
        return DictionaryAttr({k: _retyped(a, element) for k, a in attr.data.items()})
    if isinstance(attr, ParametrizedAttribute):
        params = tuple(_retyped(p, element) for p in attr.parameters)
        return attr if params == attr.parameters else type(attr).new(params)
    return attr


def _retyped_dense(attr: DenseIntOrFPElementsAttr, element: AnyFloat) -> Attribute:
    """A dense constant of f32 elements re-packed as `element` values."""
    t = attr.get_type()
    if not isinstance(t, TensorType) or t.element_type != f32:
        return attr
    retyped = TensorType(element, t.get_shape())
    # f32 elements are Python floats
    values = [float(v) for v in attr.iter_values() if isinstance(v, float)]
    return DenseIntOrFPElementsAttr.from_list(retyped, values)


# --------------------------------------------------------------------------- backends


class PrecisionModel:
    """A compiled model whose floating inputs and parameters are cast to the float types
    its compiled definition declares, and whose half results come back as float32."""

    def __init__(self, inner: CompiledModel, compiled: DefOp):
        self.inner = inner
        self.params = {p.sym_name.data: _torch_type(p.param_type.element_type)
                       for p in compiled.params}
        self.inputs = {name: [_torch_type(t.element_type) if isinstance(t, TensorType) else None
                              for t in f.function_type.inputs.data]
                       for name, f in compiled.methods.items()}

    def run(self, method: str, params: Mapping[str, torch.Tensor], args: Sequence[object],
            options: RunOptions) -> list[object]:
        """Runs `method` on inputs and parameters of the compiled types; half results come
        back as float32."""
        types = self.inputs[method]
        cast_args = [_cast(a, t) if isinstance(a, torch.Tensor) else a
                     for a, t in zip(args, types)] + list(args[len(types):])
        # Parameters are stored converted (`stored_parameters`); those of a model read by
        # `load_model` are cast at each call, differentiably, so that `fit` trains them.
        cast_params = {name: _cast(p, self.params.get(name)) for name, p in params.items()}
        results = self.inner.run(method, cast_params, cast_args, options)
        return [r.float() if isinstance(r, torch.Tensor) and r.dtype in _HALF else r
                for r in results]


class HalfPrecisionBackend:
    """A backend compiling model definitions retyped to a half dtype (see the module)."""

    def __init__(self, inner: Backend, dtype_name: str):
        self.inner = inner
        self.name = inner.name
        self.dtype, self.element = HALF_DTYPES[dtype_name]

    def compile(self, definition: DefOp) -> CompiledModel:
        """The inner backend's compiled form of `definition` retyped; a quantized
        definition compiles as it is, and runs in float32."""
        if quantization_mode(definition) is not None:
            return PrecisionModel(self.inner.compile(definition), definition)
        half = retype_floats(definition, self.element)
        return PrecisionModel(self.inner.compile(half), half)


def run_in_dtype(model: ModelInstance, backend: Backend, dtype_name: str) -> None:
    """Makes `model` run in the dtype called `dtype_name` (`pretrained(..., dtype=)`),
    whatever precision `backend` runs the rest of the program in: compiled for that dtype,
    its floating parameters stored in it (a tied pair stays one tensor)."""
    inner = backend.inner if isinstance(backend, HalfPrecisionBackend) else backend
    model.compiled = with_dtype(inner, dtype_name).compile(model.definition)
    dtype = HALF_DTYPES[dtype_name][0] if dtype_name in HALF_DTYPES else torch.float32
    done: dict[int, torch.Tensor] = {}
    for name, p in model.params.items():
        if id(p) not in done:
            done[id(p)] = _cast(p.detach(), dtype).requires_grad_(p.requires_grad)
        model.params[name] = done[id(p)]


def with_dtype(backend: Backend, dtype_name: str) -> Backend:
    """`backend` running models in the dtype called `dtype_name` (`f32` leaves it)."""
    return backend if dtype_name == "f32" else HalfPrecisionBackend(backend, dtype_name)
