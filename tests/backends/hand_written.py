"""Hand-written M models of Hugging Face architectures (`*_tiny.m` beside the tests), made,
compiled and filled from a checkpoint file, for the tests that compare them with
`transformers`."""

from __future__ import annotations

from pathlib import Path

from xdsl.dialects.builtin import StringAttr

from mlang.backends import get_backend
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
from mlang.runtime import model_io
from mlang.runtime.model import ModelInstance


def load_hand_written(source: Path, call: str, backend: str, weights: Path) -> ModelInstance:
    """The model that `call` (`Name(hyper-parameters)`) makes from the M file `source`,
    compiled for `backend`, with the checkpoint file `weights` loaded unchanged."""
    module = compile_source(source.read_text() + f"let m = {call}\n", str(source))
    name = StringAttr(call.split("(")[0])
    d = next(op for op in module.ops
             if isinstance(op, DefOp) and op.attributes.get("source") == name)
    model = ModelInstance.create(d, get_backend(backend).compile(d), "cpu")
    model_io.load_weights(model, str(weights))
    return model
