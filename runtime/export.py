"""A model as a `torch.nn.Module`, and its forward exported as ONNX or `torch.export`.

`TorchModule` holds a model's parameters under their M names (`blocks.0.attn.q.weight`,
so that its `state_dict` is the model's) and runs the torch backend's generated function
of each method on them, so that PyTorch autograd, optimizers and exporters see ordinary
torch code. Its tensors are the model's own: training the module trains the model.

`export_model` writes the forward: `.onnx` through `torch.onnx.export` (opset 17, every
size the signature leaves symbolic, the batch first, dynamic) or `.pt2` through
`torch.export` (`Dim.AUTO` for the symbolic sizes). An int8 model of mode "weight" exports
as its int8 weights, scales and the torch operations that dequantize them; the other modes
run int8 kernels that the exporters cannot trace, and are refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute

from mlang.backends import CompiledModel, RunOptions, get_backend
from mlang.backends.reference.functional import DTYPES
from mlang.backends.torch.backend import TorchModel
from mlang.dialects.model.structure import SCALE_SUFFIX
from mlang.dialects.model.types import dtype_name, shape_of
from mlang.runtime.model import ModelInstance
from mlang.support.diagnostics import UserError
from mlang.support.language_options import EXPORT_FORMATS

ONNX_OPSET = 17
EXAMPLE_SIZE = 2
"""The size of each symbolic dimension of the example inputs that exports trace: not 1,
which exporters would take for a fixed size."""


class TorchModule(torch.nn.Module):
    """A model as an `nn.Module`: `forward` is the model's forward; `call` runs any method."""

    def __init__(self, model: ModelInstance):
        super().__init__()
        self.model_name = model.name
        self.compiled: CompiledModel = torch_compiled(model)
        self.names = {name: state_name(name) for name in model.params}
        """Each model tensor's name in the state dict."""
        trainable = model.quantization is None
        for name, tensor in model.params.items():
            owner, leaf = self._owner(self.names[name])
            if trainable and tensor.is_floating_point():
                owner.register_parameter(leaf, torch.nn.Parameter(tensor))
            else:  # int8 weights and their scales are state, not trainable
                owner.register_buffer(leaf, tensor)

    def _owner(self, name: str) -> tuple[torch.nn.Module, str]:
        """The submodule that holds dotted name `name` (made as needed) and its last part."""
        *path, leaf = name.split(".")
        owner: torch.nn.Module = self
        for part in path:
            child = owner._modules.get(part)
            if child is None:
                child = torch.nn.Module()
                owner.add_module(part, child)
            owner = child
        return owner, leaf

    def tensors(self) -> dict[str, torch.Tensor]:
        """The model's tensors by dotted name, as the generated functions take them."""
        state: dict[str, torch.Tensor] = dict(self.named_parameters(remove_duplicate=False))
        state.update(self.named_buffers(remove_duplicate=False))
        return {name: state[key] for name, key in self.names.items()}

    def call(self, method: str, *args: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """Runs `method` (in training mode when the module is): one result or a tuple."""
        results = self.compiled.run(method, self.tensors(), list(args), RunOptions(self.training))
        tensors = tuple(r for r in results if isinstance(r, torch.Tensor))
        return tensors[0] if len(tensors) == 1 else tensors

    def forward(self, *args: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """The model's forward."""
        return self.call("forward", *args)


def state_name(name: str) -> str:
    """A tensor's state-dict name: its M name, but for the scale of an int8 weight
    (`fc.weight.scale` -> `fc.weight_scale`): a module attribute cannot also hold one."""
    if name.endswith(SCALE_SUFFIX):
        return name.removesuffix(SCALE_SUFFIX) + "_" + SCALE_SUFFIX.lstrip(".")
    return name


def torch_compiled(model: ModelInstance) -> CompiledModel:
    """The torch backend's compiled form of the model (the model's own where it runs there)."""
    if isinstance(model.compiled, TorchModel):
        return model.compiled
    return get_backend("torch").compile(model.definition)


def example_inputs(model: ModelInstance, method: str = "forward") -> list[torch.Tensor]:
    """Inputs of a method's types: symbolic sizes `EXAMPLE_SIZE`, floats random, integers
    zero (a valid id for any table), booleans true (attend everywhere)."""
    device = next((p.device for p in model.params.values()), torch.device("cpu"))
    return [_example(t, device) for t in model.inputs[method]]


def _example(t: Attribute, device: torch.device) -> torch.Tensor:
    """One example input of type `t`."""
    if not isinstance(t, TensorType):
        raise UserError("export needs a forward whose inputs are all tensors")
    sizes = [d if isinstance(d, int) else EXAMPLE_SIZE for d in shape_of(t)]
    dtype = DTYPES[dtype_name(t.element_type)]
    if dtype.is_floating_point:
        return torch.randn(sizes, dtype=dtype, device=device)
    if dtype == torch.bool:
        return torch.ones(sizes, dtype=dtype, device=device)
    return torch.zeros(sizes, dtype=dtype, device=device)


def symbolic_axes(model: ModelInstance, method: str = "forward") -> list[list[int]]:
    """For each input of a method, the positions of its symbolic sizes."""
    return [[i for i, d in enumerate(shape_of(t)) if not isinstance(d, int)]
            if isinstance(t, TensorType)
            else [] for t in model.inputs[method]]


def export_model(model: ModelInstance, path: str,
                 example: Sequence[torch.Tensor] | None = None) -> None:
    """Writes the model's forward to `path`: `.onnx` or `.pt2`, traced on `example`
    inputs (by default, made from the forward's signature)."""
    if not path.endswith(EXPORT_FORMATS):
        raise UserError(f"export writes {' or '.join(EXPORT_FORMATS)} files, not '{path}'")
    if "forward" not in model.inputs:
        raise UserError(f"model {model.name} has no forward method to export")
    if model.quantization not in (None, "weight"):
        raise UserError(
            f'export takes int8 models of mode="weight" only: this one (mode='
            f'"{model.quantization}") runs int8 kernels that the exporters cannot trace')
    module = TorchModule(model).eval()
    args = tuple(example_inputs(model) if example is None else example)
    if example is None:
        _check_runs(module, args)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter's deprecation and tracer notes are not the user's.
            warnings.simplefilter("ignore")
            if path.endswith(".onnx"):
                _export_onnx(module, args, symbolic_axes(model), path)
            else:
                _export_pt2(module, args, symbolic_axes(model), path)
    except OSError as err:
        raise UserError(f"cannot write '{path}': {err.strerror}") from None
    except Exception as err:  # noqa: BLE001 - the exporters raise many kinds
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise UserError(f"model {model.name} cannot be exported to '{path}': {first}") from None


def _check_runs(module: TorchModule, args: tuple[torch.Tensor, ...]) -> None:
    """Refuses a forward that fails on the inputs made from its signature: a size that
    the signature leaves symbolic must be some other number."""
    try:
        with torch.no_grad():
            module(*args)
    except (RuntimeError, ValueError, IndexError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise UserError(f"export traces forward on inputs of size {EXAMPLE_SIZE} in each "
                        f"symbolic dimension, and it fails on them ({first}); give those "
                        "sizes in forward's signature, or an example input "
                        "(Model.export(path, example) in Python)") from None


def _export_onnx(module: TorchModule, args: tuple[torch.Tensor, ...],
                 axes: Sequence[list[int]], path: str) -> None:
    """ONNX through the TorchScript exporter: it takes symbolic sizes by name alone."""
    inputs = [f"input{i}" for i in range(len(args))]
    outputs = module(*args)
    count = len(outputs) if isinstance(outputs, tuple) else 1
    names = [f"output{i}" for i in range(count)]
    dynamic: dict[str, dict[int, str]] = {
        name: {a: "batch" if a == 0 else f"{name}_{a}" for a in ax}
        for name, ax in zip(inputs, axes)
    }
    dynamic.update({name: {0: "batch"} for name in names} if axes and 0 in axes[0] else {})
    # Folding constants would store an int8 model's weights dequantized, as floats.
    fold = not any(b.dtype == torch.int8 for b in module.buffers())
    torch.onnx.export(module, args, path, input_names=inputs, output_names=names,
                      opset_version=ONNX_OPSET, dynamic_axes=dynamic, dynamo=False,
                      do_constant_folding=fold)


def _export_pt2(module: TorchModule, args: tuple[torch.Tensor, ...],
                axes: Sequence[list[int]], path: str) -> None:
    """A `torch.export` program: symbolic sizes are `Dim.AUTO` (dynamic where the code
    lets them be)."""
    shapes = tuple({a: torch.export.Dim.AUTO for a in ax} for ax in axes)
    program = torch.export.export(module, args, dynamic_shapes=(shapes,))
    torch.export.save(program, path)
