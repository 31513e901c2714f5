"""Saving and loading models: packages (IR + weights) and PyTorch weight files.

A package is one safetensors file (see `packages`): the model's `model.def` as IR text,
its float parameters, and for a quantized model its int8 weights with their scales
(`NAME` and `NAME.scale`) and the activation mode and scales in the metadata.
"""

from __future__ import annotations

import json

import torch
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException

from mlang.backends import Backend
from mlang.dialects import make_context
from mlang.dialects.model.structure import DefOp
from mlang.runtime.model import Int8Weights, ModelInstance
from mlang.runtime.names import LOSSES
from mlang.runtime.packages import load_package, save_package
from mlang.runtime.weights import assign_state_dict, read_state_dict
from mlang.support.diagnostics import UserError

SCALE_SUFFIX = ".scale"


def save_model(model: ModelInstance, path: str) -> None:
    """Writes `model` as a package at `path`, atomically."""
    tensors = dict(model.params)
    # The loss `fit` used travels along, so that evaluate(metric="loss") means the same
    # after load_model.
    metadata = {"model": model.name, "loss": model.loss_name}
    if model.int8 is not None:
        for name, (q, s) in model.int8.weights.items():
            tensors[name] = q
            tensors[name + SCALE_SUFFIX] = s
        metadata["quantization"] = model.int8.mode
        metadata["activation_scales"] = json.dumps(model.int8.activation_scales)
    ir_text = str(ModuleOp([model.definition.clone()]))
    save_package(path, ir_text, tensors, metadata)


def load_model(path: str, backend: Backend, device: str) -> ModelInstance:
    """Reads a package written by `save_model`."""
    ir_text, tensors, metadata = load_package(path)
    definition = parse_definition(ir_text, path)
    declared = [p.sym_name.data for p in definition.params]
    mode = metadata.get("quantization")
    int8 = None
    if mode:
        weights = {n: (tensors.pop(n), tensors.pop(n + SCALE_SUFFIX))
                   for n in declared if n + SCALE_SUFFIX in tensors}
        int8 = Int8Weights(mode, weights, json.loads(metadata.get("activation_scales", "{}")))
    missing = [n for n in declared if n not in tensors and not (int8 and n in int8.weights)]
    if missing or set(tensors) - set(declared):
        raise UserError(f"model package '{path}' does not match its architecture")
    loss = metadata.get("loss", "cross_entropy")
    if loss not in LOSSES:
        raise UserError(f"model package '{path}' names an unknown loss '{loss}'")
    params = {n: tensors[n].to(device) for n in declared if n in tensors}
    return ModelInstance(definition, backend.compile(definition), params, int8, loss)


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
    if model.int8 is not None:
        raise UserError("cannot load float weights into a quantized model")
    with torch.no_grad():
        assign_state_dict(model.params, read_state_dict(path))
