"""A model as the server holds it: loaded once through the runtime's `load_model`, with
its signature and the optional text and class hooks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer

from mlang.backends import get_backend
from mlang.runtime.model import ModelInstance
from mlang.runtime.model_io import load_model
from mlang.runtime.serve.schema import TORCH_DTYPES, BadInput, Signature
from mlang.runtime.text import FIELDS as TOKEN_FIELDS
from mlang.runtime.text import tokenize
from mlang.support.diagnostics import UserError

DEFAULT_TEXT_LENGTH = 128
"""The tokens per text of a package whose forward leaves the length free and whose
tokenizer was never set to one (`tokenize`'s own default)."""


@dataclass
class ServedModel:
    """One package being served under `name`."""

    name: str
    model: ModelInstance
    signature: Signature
    tokenizer: Tokenizer | None = None
    """The package's tokenizer, which turns `{"text": [...]}` into forward's inputs."""
    classes: Sequence[str] | None = None
    """The class names of the first output's columns, when the package has them."""

    @staticmethod
    def load(path: str) -> ServedModel:
        """The package at `path`, served under its file name without the extension."""
        model = load_model(path, get_backend("torch"), "cpu")
        if "forward" not in model.inputs:
            raise UserError(f"model package '{path}' has no forward method to serve")
        signature = Signature.of(model)
        _check_classes(model.classes, signature, path)
        return ServedModel(Path(path).stem, model, signature, model.tokenizer, model.classes)

    def text_inputs(self, texts: object) -> list[torch.Tensor]:
        """The forward inputs of `{"text": [...]}`, through the package's tokenizer: each
        input named as a field of `tokenize` gets that field (a forward of one integer
        input gets `input_ids`), padded to the input's declared length, else to the
        length the tokenizer was last used with, else to `DEFAULT_TEXT_LENGTH`."""
        if self.tokenizer is None:
            raise BadInput(f"text: model {self.name} holds no tokenizer; send "
                           '{"inputs": ...} instead')
        if not isinstance(texts, list) or not texts or \
                not all(isinstance(t, str) for t in texts):
            raise BadInput("text: expected a non-empty list of strings")
        fields = self._text_fields()
        try:
            record = tokenize(self.tokenizer, texts, self._text_length())
        except UserError as err:  # a tokenizer that cannot pad, say: never a 500
            raise BadInput(f"text: {err}") from None
        return [spec.tensor(record[f].numpy(), f"text ({spec.name})", False)
                for spec, f in zip(self.signature.inputs, fields)]

    def _text_fields(self) -> list[str]:
        """The field of `tokenize` that feeds each forward input."""
        inputs = self.signature.inputs
        ids = [s for s in inputs if s.dtype.startswith("i") and len(s.shape) == 2]
        if len(ids) == len(inputs) and all(s.name in TOKEN_FIELDS for s in inputs):
            return [s.name for s in inputs]
        if len(ids) == len(inputs) == 1:
            return ["input_ids"]
        listed = ", ".join(f"{s.name}: {s.type_text}" for s in inputs)
        raise BadInput(f"text: model {self.name}'s forward takes ({listed}), which are not "
                       f"the tokenizer's fields ({', '.join(TOKEN_FIELDS)}); send "
                       '{"inputs": ...} instead')

    def _text_length(self) -> int:
        """How many tokens each text becomes (see `text_inputs`)."""
        declared = self.signature.inputs[0].shape[1]
        if isinstance(declared, int):
            return declared
        assert self.tokenizer is not None  # checked by text_inputs
        truncation = self.tokenizer.truncation
        return int(truncation["max_length"]) if truncation else DEFAULT_TEXT_LENGTH

    def run(self, args: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """`forward` on one batch, without autograd."""
        with torch.no_grad():
            results = self.model.call("forward", args)
        return [r for r in results if isinstance(r, torch.Tensor)]

    def warm_up(self) -> None:
        """Runs `forward` once on one row of zeros, so that the first request does not pay
        for the backend's first call."""
        self.run([torch.zeros([d if isinstance(d, int) else 1 for d in s.shape],
                              dtype=TORCH_DTYPES[s.dtype])
                  for s in self.signature.inputs])

    def answer(self, outputs: Sequence[torch.Tensor]) -> dict[str, object]:
        """The JSON body for one request's rows of every output."""
        values = [o.tolist() for o in outputs]
        body: dict[str, object] = {"outputs": values[0] if len(values) == 1 else values}
        if self.classes is not None and outputs and outputs[0].dim() == 2 and \
                outputs[0].shape[1] == len(self.classes):
            body["classes"] = [self.classes[i] for i in outputs[0].argmax(1).tolist()]
        return body



def _check_classes(classes: Sequence[str] | None, signature: Signature, path: str) -> None:
    """Refuses class names that cannot name the columns of forward's first output."""
    if classes is None or not signature.outputs:
        return
    shape = signature.outputs[0].shape
    if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != len(classes)):
        raise UserError(f"model package '{path}' holds {len(classes)} class names, but the "
                        f"first output of its forward is {signature.outputs[0].type_text}")
