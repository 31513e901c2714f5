"""Model instances at run time: a specialised `model.def`, its parameters, and how its
methods run (the backend's compiled form, plus int8 state once quantized)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from xdsl.dialects.builtin import TensorType

from mlang.backends import CompiledModel, RunOptions
from mlang.backends.reference.init import init_parameter
from mlang.backends.reference.quantization import ActivationQuant, dequantize
from mlang.dialects.model.structure import DefOp
from mlang.dialects.model.types import dtype_name, shape_of
from mlang.support.diagnostics import UserError
from mlang.support.shapes import fmt_shape


@dataclass
class Int8Weights:
    """Quantized weights (int8 with per-channel float32 scales) and the activation mode."""

    mode: str
    weights: dict[str, tuple[torch.Tensor, torch.Tensor]]
    activation_scales: dict[str, float] = field(default_factory=dict)


@dataclass
class ModelInstance:
    """A model value of the host program; implements `training.Trainable`."""

    definition: DefOp
    compiled: CompiledModel
    params: dict[str, torch.Tensor]
    int8: Int8Weights | None = None
    loss_name: str = "cross_entropy"

    @staticmethod
    def create(definition: DefOp, compiled: CompiledModel, device: str) -> ModelInstance:
        """A fresh instance, parameters drawn in declaration order from the global generator."""
        params = {}
        for p in definition.params:
            t = p.param_type
            tensor = init_parameter(p.init.data, tuple(t.get_shape()), p.scale.value.data)
            params[p.sym_name.data] = tensor.to(device)
        return ModelInstance(definition, compiled, params)

    @property
    def name(self) -> str:
        """The user-facing model name (its declaration's)."""
        source = self.definition.attributes.get("source")
        return source.data if source is not None else self.definition.sym_name.data  # type: ignore[union-attr]

    def parameters(self) -> dict[str, torch.Tensor]:
        """Float parameters by dotted name (quantized weights are not trainable)."""
        return self.params

    def call(self, method: str, args: Sequence[object], training: bool = False) -> list[object]:
        """Runs a method after checking its inputs against the method's signature."""
        if method not in self.definition.methods:
            raise UserError(f"model {self.name} has no method '{method}'")
        check_inputs(self, method, args)
        return self.compiled.run(method, self.effective_params(), args, self.options(training))

    def forward(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        """The forward method on one batch."""
        return self.call("forward", [x], training)[0]  # type: ignore[return-value]

    def effective_params(self) -> dict[str, torch.Tensor]:
        """The parameters the methods see: quantized weights are dequantized here."""
        if self.int8 is None:
            return self.params
        out = dict(self.params)
        for name, (q, s) in self.int8.weights.items():
            out[name] = dequantize(q, s)
        return out

    def options(self, training: bool, quant: ActivationQuant | None = None) -> RunOptions:
        """Run options for one call, with the instance's activation quantization."""
        if quant is None and self.int8 is not None and self.int8.mode != "weight":
            quant = ActivationQuant(self.int8.mode, self.int8.activation_scales)
        return RunOptions(training, quant)

    def parameter_count(self) -> int:
        """The number of parameters, counting quantized weights once."""
        return sum(p.numel() for p in self.params.values()) + sum(
            q.numel() for q, _ in (self.int8.weights.values() if self.int8 else []))


def check_inputs(model: ModelInstance, method: str, args: Sequence[object]) -> None:
    """Checks argument count, dtypes and static sizes against the method's IR signature."""
    f = model.definition.methods[method]
    expected = f.function_type.inputs.data
    if len(args) != len(expected):
        raise UserError(f"{model.name}.{method} takes {len(expected)} inputs, got {len(args)}")
    for i, (a, t) in enumerate(zip(args, expected)):
        if not isinstance(a, torch.Tensor) or not isinstance(t, TensorType):
            raise UserError(f"input {i + 1} of {model.name}.{method} must be a tensor")
        want = shape_of(t)
        dtype = dtype_name(t.element_type)
        ok_rank = a.dim() == len(want)
        ok_dims = ok_rank and all(w is None or w == d for w, d in zip(want, a.shape))
        if not ok_dims or str(a.dtype).removeprefix("torch.") != _torch_name(dtype):
            raise UserError(
                f"{model.name}.{method} expects {dtype}{fmt_shape(want)}, got "
                f"{_m_dtype(a.dtype)}{list(a.shape)}"
            )


_TORCH_NAMES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16", "f64": "float64",
                "i64": "int64", "i32": "int32", "i8": "int8", "bool": "bool"}


def _torch_name(dtype: str) -> str:
    """torch's name of an M dtype."""
    return _TORCH_NAMES[dtype]


def _m_dtype(dtype: torch.dtype) -> str:
    """The M name of a torch dtype."""
    name = str(dtype).removeprefix("torch.")
    return next((m for m, t in _TORCH_NAMES.items() if t == name), name)
