"""A model as the server holds it: loaded once through the runtime's `load_model`, with
its signature and the optional text and class hooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import torch

from mlang.backends import get_backend
from mlang.runtime.model import ModelInstance
from mlang.runtime.model_io import load_model
from mlang.runtime.serve.schema import TORCH_DTYPES, BadInput, Signature
from mlang.support.diagnostics import UserError


@runtime_checkable
class TextEncoder(Protocol):
    """What a package's tokenizer must offer to serve `{"text": [...]}`: the forward
    inputs, by name, of a list of texts. (Packages do not hold tokenizers yet; a model
    whose `tokenizer` attribute has this method is served with text.)"""

    def encode(self, texts: Sequence[str]) -> Mapping[str, torch.Tensor]:
        """The inputs of `forward` for `texts`, one row each."""
        ...


@dataclass
class ServedModel:
    """One package being served under `name`."""

    name: str
    model: ModelInstance
    signature: Signature
    tokenizer: TextEncoder | None = None
    classes: Sequence[str] | None = None
    """The class names of the first output's columns, when the package has them."""

    @staticmethod
    def load(path: str) -> ServedModel:
        """The package at `path`, served under its file name without the extension."""
        model = load_model(path, get_backend("torch"), "cpu")
        if "forward" not in model.inputs:
            raise UserError(f"model package '{path}' has no forward method to serve")
        tokenizer = getattr(model, "tokenizer", None)
        classes = getattr(model, "classes", None)
        return ServedModel(Path(path).stem, model, Signature.of(model),
                           tokenizer if isinstance(tokenizer, TextEncoder) else None,
                           list(classes) if classes is not None else None)

    def text_inputs(self, texts: object) -> list[torch.Tensor]:
        """The forward inputs of `{"text": [...]}`, through the package's tokenizer."""
        if self.tokenizer is None:
            raise BadInput(f"text: model {self.name} holds no tokenizer; send "
                           '{"inputs": ...} instead')
        if not isinstance(texts, list) or not texts or \
                not all(isinstance(t, str) for t in texts):
            raise BadInput("text: expected a non-empty list of strings")
        encoded = self.tokenizer.encode(texts)
        return self.signature.parse({k: v.tolist() for k, v in encoded.items()})

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
        if self.classes is not None and outputs and outputs[0].dim() == 2:
            body["classes"] = [self.classes[i] for i in outputs[0].argmax(1).tolist()]
        return body

