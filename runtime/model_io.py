"""Saving and loading models: packages (IR + weights) and PyTorch weight files.

A package is one safetensors file (see `packages`): the model's `model.def` as IR text
and its parameters. For a quantized model that definition is the tensor-level one that
the `quantize` pass made (its IR declares the int8 weights `NAME`, their scales
`NAME.scale`, and holds the activation quantization), the tensors are those int8 weights
and scales, and the metadata names the mode. A package may also hold the tokenizer its
model reads text with and the names of its classes (see `save_model`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import torch
from tokenizers import Tokenizer
from xdsl.dialects.builtin import ModuleOp, StringAttr, SymbolRefAttr
from xdsl.ir import Attribute
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException

from mlang.backends import Backend
from mlang.backends.reference.functional import DTYPES
from mlang.dialects import make_context
from mlang.dialects.model.host import LoadWeightsOp
from mlang.dialects.model.structure import DefOp, symbol_name
from mlang.dialects.model.types import dtype_name
from mlang.runtime.model import ModelInstance, m_dtype, tie_parameters
from mlang.runtime.notes import note
from mlang.runtime.packages import compress_text, decompress_text, load_package, save_package
from mlang.runtime.precision import declared_parameters
from mlang.runtime.text import tokenizer_from_json
from mlang.runtime.weights import NameMap, assign_state_dict, read_state_dict
from mlang.support.diagnostics import UserError
from mlang.support.language_options import LOSSES

TOKENIZER_KEY = "tokenizer"
"""The package metadata key of the tokenizer.json (`save(..., tokenizer=)`)."""
CLASSES_KEY = "classes"
"""The package metadata key of the class names (`save(..., classes=)`)."""


def save_model(model: ModelInstance, path: str, tokenizer: Tokenizer | None = None,
               classes: Sequence[str] | None = None) -> None:
    """Writes `model` as a package at `path`, atomically, with the tokenizer and class
    names given (by default the model's own, those of a package it was read from)."""
    # A tied name is the same tensor as its source: written once, tied again on reading.
    tensors = {n: t for n, t in declared_parameters(model.definition, model.params).items()
               if n not in model.definition.ties}
    # The loss `fit` used travels along, so that evaluate(metric="loss") means the same
    # after load_model.
    metadata = {"model": model.name, "loss": model.loss_name}
    if model.quantization is not None:
        metadata["quantization"] = model.quantization
    metadata.update(_text_metadata(tokenizer or model.tokenizer,
                                   model.classes if classes is None else classes))
    ir_text = str(ModuleOp([model.definition.clone()]))
    save_package(path, ir_text, tensors, metadata)


def load_model(path: str, backend: Backend, device: str) -> ModelInstance:
    """Reads a package written by `save_model`: its IR verified, its names identifiers,
    and each tensor of the dtype and shape that the IR declares, before anything is
    compiled from it."""
    ir_text, tensors, metadata = load_package(path)
    definition = parse_definition(ir_text, path)
    check_symbols(definition, path)
    check_tensors(definition, tensors, path)
    loss = metadata.get("loss", "cross_entropy")
    if loss not in LOSSES:
        raise UserError(f"model package '{path}' names an unknown loss {loss!r}")
    params = {p.sym_name.data: tensors[p.sym_name.data].to(device) for p in definition.params
              if p.sym_name.data not in definition.ties}
    params = tie_parameters(definition, params)
    return ModelInstance(definition, backend.compile(definition), params, loss,
                         _read_tokenizer(metadata, path), _read_classes(metadata, path))


def _text_metadata(tokenizer: Tokenizer | None,
                   classes: Sequence[str] | None) -> dict[str, str]:
    """The metadata entries of a package's tokenizer (its tokenizer.json, compressed) and
    class names (a JSON list): data, never code, so that reading them runs nothing."""
    entries = {}
    if tokenizer is not None:
        entries[TOKENIZER_KEY] = compress_text(tokenizer.to_str())
    if classes is not None:
        entries[CLASSES_KEY] = json.dumps(list(classes), ensure_ascii=False)
    return entries


def _read_tokenizer(metadata: dict[str, str], path: str) -> Tokenizer | None:
    """The tokenizer a package holds, or None."""
    stored = metadata.get(TOKENIZER_KEY)
    if stored is None:
        return None
    text = decompress_text(stored, path, "tokenizer")
    return tokenizer_from_json(text, f"the tokenizer.json in model package '{path}'")


def _read_classes(metadata: dict[str, str], path: str) -> list[str] | None:
    """The class names a package holds, or None."""
    stored = metadata.get(CLASSES_KEY)
    if stored is None:
        return None
    try:
        classes = json.loads(stored)
    except json.JSONDecodeError:
        classes = None
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise UserError(f"model package '{path}' is damaged: its classes are not a JSON "
                        "list of strings")
    return classes


def parse_definition(ir_text: str, path: str) -> DefOp:
    """The single `model.def` of a package's IR."""
    try:
        module = Parser(make_context(), ir_text, path).parse_module()
        module.verify()
    except (ParseError, VerifyException) as err:
        first = str(err).splitlines()[0]
        raise UserError(f"model package '{path}' holds invalid IR: {first}") from None
    defs = [op for op in module.ops if isinstance(op, DefOp)]
    if len(defs) != 1:
        raise UserError(f"model package '{path}' must hold exactly one model definition")
    module.body.block.detach_op(defs[0])
    return defs[0]


def check_symbols(definition: DefOp, path: str) -> None:
    """Refuses a symbol (model, method, parameter) that is not a dotted path of Python
    identifiers and indices: backends write these names into the code they generate."""
    for op in definition.walk():
        for name, value in op.properties.items():
            symbol = _symbol_text(name, value)
            if symbol is not None and not _is_dotted_identifier(symbol):
                raise UserError(f"model package '{path}' holds invalid IR: {op.name} has "
                                f"{name} {symbol!r}, which is not an identifier")


def _symbol_text(name: str, value: Attribute) -> str | None:
    """The text of a symbol name or reference, or None for any other property."""
    if name == "sym_name" and isinstance(value, StringAttr):
        return value.data
    if isinstance(value, SymbolRefAttr):
        return symbol_name(value)
    return None


def _is_dotted_identifier(symbol: str) -> bool:
    """`fc1.weight`, `layers.0.fc.weight`: identifiers or decimal indices between dots."""
    return all(part.isidentifier() or (part.isascii() and part.isdigit())
               for part in symbol.split("."))


def check_tensors(definition: DefOp, tensors: dict[str, torch.Tensor], path: str) -> None:
    """Refuses tensors that are missing, extra, or of another dtype or shape than the
    parameters that the IR declares, naming the first few."""
    declared = {p.sym_name.data: p.param_type for p in definition.params
                if p.sym_name.data not in definition.ties}
    problems = [f"it has a tensor {n!r} that the IR does not declare"
                for n in tensors if n not in declared]
    for name, t in declared.items():
        want = f"{dtype_name(t.element_type)}{list(t.get_shape())}"
        if name not in tensors:
            problems.append(f"it lacks the tensor '{name}' ({want})")
            continue
        tensor = tensors[name]
        if tensor.dtype != DTYPES[dtype_name(t.element_type)] or \
                list(tensor.shape) != list(t.get_shape()):
            got = f"{m_dtype(tensor.dtype)}{list(tensor.shape)}"
            problems.append(f"tensor '{name}' is {got} but the IR declares {want}")
    if problems:
        listed = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
        raise UserError(f"model package '{path}' does not match its architecture: {listed}")


def weight_names(op: LoadWeightsOp) -> NameMap:
    """How a `model.load_weights` maps the file's names to the model's."""
    rename = {k: v.data for k, v in op.rename.data.items() if isinstance(v, StringAttr)} \
        if op.rename else {}
    transpose = [t.data for t in op.transpose.data] if op.transpose else []
    return NameMap(op.prefix.data if op.prefix else "", rename, transpose)


def load_weights(model: ModelInstance, path: str, names: NameMap | None = None,
                 field: str = "", strict: bool = True) -> None:
    """Fills `model`'s parameters (those of its field `field`, when given) from a
    .safetensors or .pt state dict whose names `names` maps to the model's; with `strict`
    false, fills what matches and reports the rest in one note."""
    if model.quantization is not None:
        raise UserError("load_weights cannot fill a quantized model (its weights are int8): "
                        "load float weights before quantize, or read a saved quantized "
                        "model with load_model")
    state = (names or NameMap()).apply(read_state_dict(path))
    params, ties = model.params, model.definition.ties
    if field:
        params = {n.removeprefix(f"{field}."): t for n, t in params.items()
                  if n.startswith(f"{field}.")}
        if not params:
            raise UserError(f"load_weights: the model has no field '{field}' with parameters")
        inner = len(field) + 1
        ties = {t[inner:]: s[inner:] for t, s in ties.items()
                if t.startswith(f"{field}.") and s.startswith(f"{field}.")}
    with torch.no_grad():
        problems = assign_state_dict(params, state, ties, strict)
    if problems:
        note(f"load_weights(strict=false) from '{path}' loaded what matched; the rest keeps "
             "its initialisation: " + "; ".join(problems))
