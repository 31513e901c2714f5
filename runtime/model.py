"""Model instances at run time: a specialised `model.def`, its parameters, and how its
methods run (the backend's compiled form).

A quantized model is an instance like any other: its definition is the tensor-level
`model.def` that the `quantize` pass made (int8 weight parameters `W` with float32
companions `W.scale`, and the activation quantization as ops), and its parameters hold
the int8 tensors and their scales instead of the float weights."""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import cached_property

import torch
from tokenizers import Tokenizer
from xdsl.dialects.builtin import IntegerAttr, StringAttr, TensorType, i8
from xdsl.ir import Attribute

from mlang.backends import CompiledModel, RunOptions
from mlang.backends.reference.init import init_parameter
from mlang.dialects.model.structure import SCALE_SUFFIX, ZERO_ROW_ATTR, DefOp
from mlang.dialects.model.types import dtype_name, shape_of
from mlang.runtime.datasets import Features, record_arguments
from mlang.support.diagnostics import UserError
from mlang.support.shapes import Dim, fmt_shape


def scale_parameters(definition: DefOp) -> set[str]:
    """The names of the scales of a definition's int8 weights."""
    return {p.sym_name.data + SCALE_SUFFIX for p in definition.params
            if p.param_type.element_type == i8}


def quantization_mode(definition: DefOp) -> str | None:
    """How a definition was quantized ("weight", "dynamic", "static"), or None."""
    mode = definition.attributes.get("quantization")
    return mode.data if isinstance(mode, StringAttr) else None


@dataclass
class ModelInstance:
    """A model value of the host program; implements `training.Trainable`."""

    definition: DefOp
    compiled: CompiledModel
    params: dict[str, torch.Tensor]
    loss_name: str = "cross_entropy"
    tokenizer: Tokenizer | None = None
    """The tokenizer a package was saved with (`save(..., tokenizer=)`), else None."""
    classes: list[str] | None = None
    """The class names a package was saved with (`save(..., classes=)`), else None."""

    @staticmethod
    def create(definition: DefOp, compiled: CompiledModel, device: str,
               loaded: Container[str] = frozenset()) -> ModelInstance:
        """A fresh instance, parameters drawn in declaration order from the global generator;
        those in `loaded`, which a checkpoint fills next, are left unset and draw nothing."""
        params = {}
        for p in definition.params:
            t = p.param_type
            dtype = getattr(torch, _torch_name(dtype_name(t.element_type)))
            if p.sym_name.data in loaded:
                params[p.sym_name.data] = torch.empty(t.get_shape(), dtype=dtype, device=device)
                continue
            tensor = init_parameter(p.init.data, tuple(t.get_shape()), p.scale.value.data)
            zero_row = p.attributes.get(ZERO_ROW_ATTR)
            if isinstance(zero_row, IntegerAttr):
                tensor[zero_row.value.data] = 0.0
            params[p.sym_name.data] = tensor.to(device, dtype)
        return ModelInstance(definition, compiled, tie_parameters(definition, params))

    @property
    def name(self) -> str:
        """The user-facing model name (its declaration's)."""
        source = self.definition.attributes.get("source")
        return source.data if isinstance(source, StringAttr) else self.definition.sym_name.data

    @property
    def quantization(self) -> str | None:
        """The int8 mode of a quantized model, else None."""
        return quantization_mode(self.definition)

    @cached_property
    def inputs(self) -> dict[str, tuple[Attribute, ...]]:
        """The input types of each method, read once from the definition (every call and
        every batch checks against them)."""
        return {name: tuple(f.function_type.inputs.data)
                for name, f in self.definition.methods.items()}

    def parameters(self) -> dict[str, torch.Tensor]:
        """The trainable parameters by dotted name (`fit` refuses quantized models): as
        PyTorch's `named_parameters`, without buffers and with a tied tensor once."""
        skipped = self.definition.buffers | set(self.definition.ties)
        return {name: p for name, p in self.params.items() if name not in skipped}

    def state(self) -> dict[str, torch.Tensor]:
        """Parameters and buffers by dotted name (`training.HasBuffers`), a tied tensor
        once (safetensors files hold no shared tensors)."""
        ties = self.definition.ties
        return {name: p for name, p in self.params.items() if name not in ties}

    @cached_property
    def accepted(self) -> set[tuple[object, ...]]:
        """Signatures (method, then dtype and shape of each argument) that passed the
        checks: a training loop calls forward with the same few shapes thousands of times,
        and checking each call again costs as much as a small model's step."""
        return set()

    def call(self, method: str, args: Sequence[object], training: bool = False) -> list[object]:
        """Runs a method after checking its inputs against the method's signature."""
        signature = _signature(method, args)
        if signature not in self.accepted:
            if method not in self.inputs:
                raise UserError(self.no_method(method))
            args = numbers_as_tensors(self, method, args)
            check_inputs(self, method, args)
            if signature is not None and len(self.accepted) < _MAX_SIGNATURES:
                self.accepted.add(signature)
        return self.compiled.run(method, self.params, args, RunOptions(training))

    def no_method(self, method: str) -> str:
        """Why `method` cannot be called: naming the methods, and saying so of a field
        (which reaches here only on a model read by `load_model`)."""
        own = sorted(m for m in self.inputs if "." not in m)  # not those made for fields
        message = f"model {self.name} has no method '{method}' (its methods: {', '.join(own)})"
        if any(name.startswith(f"{method}.") for name in self.params):
            message += (f"; '{method}' is a field, and the fields of a model read by "
                        "load_model cannot be called from the host")
        return message

    @cached_property
    def input_names(self) -> tuple[str, ...]:
        """The names of forward's parameters, as the M source writes them: a record's
        fields go to the parameters of their names."""
        args = self.definition.methods["forward"].body.block.args
        return tuple(a.name_hint or f"input{i}" for i, a in enumerate(args))

    def forward(self, x: Features, training: bool) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """The forward method on one batch (a tensor, or a record whose fields go to the
        parameters of their names): its result, or a tuple of its results."""
        results = self.call("forward", self.forward_arguments(x), training)
        tensors = tuple(r for r in results if isinstance(r, torch.Tensor))
        if len(tensors) != len(results):
            raise UserError(f"{self.name}.forward must return tensors")
        return tensors[0] if len(tensors) == 1 else tensors

    def forward_arguments(self, x: Features) -> list[torch.Tensor]:
        """A batch as forward's arguments: a tensor as its one input (`as_ids`), a
        record's fields in the order of the parameters they go to."""
        if isinstance(x, torch.Tensor):
            return [self.as_ids(x)]
        return record_arguments(x, self.input_names, f"{self.name}.forward")

    def as_ids(self, x: torch.Tensor) -> torch.Tensor:
        """A batch of features as forward takes it (see `features_as_input`)."""
        return _as_ids(x, self.id_dtype)

    @cached_property
    def id_dtype(self) -> torch.dtype | None:
        """The integer dtype of forward's one id input, else None; read once, since every
        batch asks."""
        return _id_dtype(self.inputs.get("forward", ()))

    def parameter_count(self) -> int:
        """The number of parameters, as PyTorch counts them: buffers, a tied tensor's
        second name and the scales of int8 weights are not counted."""
        skipped = (scale_parameters(self.definition) | set(self.definition.ties)
                   | self.definition.buffers)
        return sum(p.numel() for name, p in self.params.items() if name not in skipped)


def tie_parameters(definition: DefOp,
                   params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`params` with each tied name bound to the tensor of the parameter it is tied to
    (one tensor object under two names, as PyTorch's tied weights)."""
    for target, source in definition.ties.items():
        params[target] = params[source]
    return params


_MAX_SIGNATURES = 64
"""At most this many signatures are remembered per model (shapes that vary every call
would otherwise grow the set without bound)."""


def _signature(method: str, args: Sequence[object]) -> tuple[object, ...] | None:
    """The method and each argument's dtype and shape, or None when an argument is no
    tensor (a host number, which `numbers_as_tensors` converts on every call)."""
    signature: list[object] = [method]
    for a in args:
        if not isinstance(a, torch.Tensor):
            return None
        signature.append((a.dtype, a.shape, a.device))
    return tuple(signature)


def features_as_input(x: torch.Tensor, inputs: Sequence[Attribute]) -> torch.Tensor:
    """A batch of a data set's features for a method of `inputs`: float features whose
    values are all whole numbers (a data set's `x` is f32) become the integers that a
    method of one integer input (an `Embedding` model) takes; else `x` as it is."""
    return _as_ids(x, _id_dtype(inputs))


def _id_dtype(inputs: Sequence[Attribute]) -> torch.dtype | None:
    """The integer dtype of a method's one tensor input, else None."""
    if len(inputs) != 1 or not isinstance(inputs[0], TensorType):
        return None
    dtype: torch.dtype = getattr(torch, _torch_name(dtype_name(inputs[0].element_type)))
    return None if dtype.is_floating_point or dtype == torch.bool else dtype


def _as_ids(x: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    """Float features `x` as ids of `dtype` when every one is whole; else `x`."""
    if dtype is None or not x.is_floating_point():
        return x
    whole = bool(torch.isfinite(x).all()) and torch.equal(x, torch.round(x))
    return x.to(dtype) if whole else x


def numbers_as_tensors(model: ModelInstance, method: str,
                       args: Sequence[object]) -> list[object]:
    """The host numbers given for a method's number parameters (0-d tensors in its IR) as
    0-d tensors of that dtype, on the device of the model's parameters."""
    inputs = model.inputs[method]
    device = next((p.device for p in model.params.values()), None)
    return [
        torch.tensor(a, dtype=getattr(torch, _torch_name(dtype_name(t.element_type))),
                     device=device)
        if isinstance(a, (bool, int, float)) and isinstance(t, TensorType) and not shape_of(t)
        else a
        for a, t in zip(args, inputs)
    ] + list(args[len(inputs):])


def check_inputs(model: ModelInstance, method: str, args: Sequence[object]) -> None:
    """Checks argument count, dtypes and static sizes against the method's IR signature."""
    expected = model.inputs[method]
    if len(args) != len(expected):
        raise UserError(f"{model.name}.{method} takes {len(expected)} inputs, got {len(args)}")
    for i, (a, t) in enumerate(zip(args, expected)):
        if not isinstance(a, torch.Tensor) or not isinstance(t, TensorType):
            raise UserError(f"input {i + 1} of {model.name}.{method} must be a tensor")
        want = shape_of(t)
        dtype = dtype_name(t.element_type)
        ok_dims = sizes_fit(a, want)
        if not ok_dims or m_dtype(a.dtype) != dtype:
            # A data set's features are f32; they stand for ids only when all are whole.
            hint = ("; features become integer ids only when every one is a whole number"
                    if a.is_floating_point() and dtype.startswith("i") and ok_dims else "")
            raise UserError(
                f"{model.name}.{method} expects {dtype}{fmt_shape(want)}, got "
                f"{m_dtype(a.dtype)}{list(a.shape)}{hint}"
            )


_TORCH_NAMES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16", "f64": "float64",
                "i64": "int64", "i32": "int32", "i8": "int8", "bool": "bool"}


def _torch_name(dtype: str) -> str:
    """torch's name of an M dtype."""
    return _TORCH_NAMES[dtype]


def sizes_fit(a: torch.Tensor, sizes: Sequence[Dim]) -> bool:
    """Whether `a` has as many dimensions as `sizes`, each of that size (None: any)."""
    return a.dim() == len(sizes) and all(w is None or w == d for w, d in zip(sizes, a.shape))


def m_dtype(dtype: torch.dtype) -> str:
    """The M name of a torch dtype."""
    name = str(dtype).removeprefix("torch.")
    return next((m for m, t in _TORCH_NAMES.items() if t == name), name)
