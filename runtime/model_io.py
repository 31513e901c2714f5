"""Saving and loading models: packages (IR + weights) and PyTorch weight files.

A package is one safetensors file (see `packages`): the model's `model.def` as IR text
and its parameters. For a quantized model that definition is the tensor-level one that
the `quantize` pass made (its IR declares the int8 weights `NAME`, their scales
`NAME.scale`, and holds the activation quantization), the tensors are those int8 weights
and scales, and the metadata names the mode.
"""

from __future__ import annotations

import torch
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException

from mlang.backends import Backend
from mlang.backends.reference.functional import DTYPES
from mlang.dialects import make_context
from mlang.dialects.model.structure import DefOp
from mlang.dialects.model.types import dtype_name
from mlang.runtime.model import ModelInstance
from mlang.runtime.packages import load_package, save_package
from mlang.runtime.weights import assign_state_dict, read_state_dict
from mlang.support.diagnostics import UserError
from mlang.support.language_options import LOSSES

def save_model(model: ModelInstance, path: str) -> None:
    """Writes `model` as a package at `path`, atomically."""
    tensors = dict(model.params)
    # The loss `fit` used travels along, so that evaluate(metric="loss") means the same
    # after load_model.
    metadata = {"model": model.name, "loss": model.loss_name}
    if model.quantization is not None:
        metadata["quantization"] = model.quantization
    ir_text = str(ModuleOp([model.definition.clone()]))
    save_package(path, ir_text, tensors, metadata)


def load_model(path: str, backend: Backend, device: str) -> ModelInstance:
    """Reads a package written by `save_model`."""
    ir_text, tensors, metadata = load_package(path)
    definition = parse_definition(ir_text, path)
    declared = {p.sym_name.data: p.param_type for p in definition.params}
    mismatched = [n for n, t in declared.items()
                  if n not in tensors or tensors[n].dtype != DTYPES[dtype_name(t.element_type)]]
    if mismatched or set(tensors) - set(declared):
        raise UserError(f"model package '{path}' does not match its architecture")
    loss = metadata.get("loss", "cross_entropy")
    if loss not in LOSSES:
        raise UserError(f"model package '{path}' names an unknown loss '{loss}'")
    params = {n: tensors[n].to(device) for n in declared}
    return ModelInstance(definition, backend.compile(definition), params, loss)


def parse_definition(ir_text: str, path: str) -> DefOp:
    """The single `model.def` of a package's IR."""
    try:
        module = Parser(make_context(), ir_text, path).parse_module()
        module.verify()
    except (ParseError, VerifyException) as err:
        raise UserError(f"model package '{path}' holds invalid IR: {str(err).splitlines()[0]}") from None
    defs = [op for op in module.ops if isinstance(op, DefOp)]
    if len(defs) != 1:
        raise UserError(f"model package '{path}' must hold exactly one model definition")
    defs[0].detach()
    return defs[0]


def load_weights(model: ModelInstance, path: str) -> None:
    """Fills `model`'s parameters from a .safetensors or .pt state dict."""
    if model.quantization is not None:
        raise UserError("load_weights cannot fill a quantized model (its weights are int8): "
                        "load float weights before quantize, or read a saved quantized "
                        "model with load_model")
    with torch.no_grad():
        assign_state_dict(model.params, read_state_dict(path))
