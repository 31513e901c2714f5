"""Backends: how model methods run.

A backend compiles a `model.def` into a `CompiledModel` whose `run` evaluates a method on
parameters and inputs. `get_backend(name)` is the registry; each backend is imported only
when asked for, so that `mopt` never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mlang.support.diagnostics import UserError

if TYPE_CHECKING:
    import torch

    from mlang.dialects.model.structure import DefOp


class CompiledModel(Protocol):
    """A model definition made runnable by a backend."""

    def run(self, method: str, params: Mapping[str, torch.Tensor], args: Sequence[object],
            options: RunOptions) -> list[object]:
        """Evaluates `method` and returns its results."""
        ...


@dataclass
class RunOptions:
    """Per-call settings: training behaviour (dropout). Int8 activations are no option: they
    are part of a quantized model's IR (see the `quantize` pass)."""

    training: bool = False


class Backend(Protocol):
    """Compiles model definitions."""

    name: str

    def compile(self, definition: DefOp) -> CompiledModel:
        """Makes a model definition runnable."""
        ...


def _reference() -> Backend:
    from mlang.backends.reference.backend import ReferenceBackend

    return ReferenceBackend()


def _torch() -> Backend:
    from mlang.backends.torch.backend import TorchBackend

    return TorchBackend()


def _triton() -> Backend:
    from mlang.backends.triton.backend import TritonBackend

    return TritonBackend()


BACKENDS: dict[str, Callable[[], Backend]] = {
    "reference": _reference, "torch": _torch, "triton": _triton,
}


def get_backend(name: str) -> Backend:
    """The backend called `name`; an unknown or unavailable one is a UserError."""
    if name not in BACKENDS:
        known = ", ".join(sorted(BACKENDS))
        raise UserError(f"backend '{name}' is not available in this build; available: {known}")
    return BACKENDS[name]()
