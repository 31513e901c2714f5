"""The reference backend as a `Backend`: methods are interpreted op by op."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from mlang.backends import RunOptions
from mlang.backends.reference.evaluator import EvalContext, run_function
from mlang.dialects.model.structure import DefOp


class ReferenceModel:
    """A model definition evaluated directly, one op at a time."""

    def __init__(self, definition: DefOp):
        self.definition = definition

    def run(self, method: str, params: Mapping[str, torch.Tensor], args: Sequence[object],
            options: RunOptions) -> list[object]:
        """Evaluates `method` with the given parameters and inputs."""
        ctx = EvalContext(params, options.training)
        return run_function(self.definition.methods[method], args, ctx)


class ReferenceBackend:
    """Compiling is a no-op: the IR itself is what runs."""

    name = "reference"

    def compile(self, definition: DefOp) -> ReferenceModel:
        """Wraps the definition."""
        return ReferenceModel(definition)
