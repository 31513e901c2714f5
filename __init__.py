"""mlang: a model-centric compiler for the M language.

As a library (docs/PYTHON-API.md): `mlang.run(path)` runs a program, `mlang.compile(path)`
gives its models as constructors, `mlang.load_model(path)` reads a package,
`mlang.pretrained(path)` a Hugging Face checkpoint folder, and every
error raises `mlang.MError`. The names load on first use, so `import mlang` stays cheap.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlang.api import MError, Model, Program, compile, load_model, pretrained

__all__ = ["MError", "Model", "Program", "compile", "load_model", "pretrained", "run"]

_LAZY = {"MError", "Model", "Program", "compile", "load_model", "pretrained"}


def run(path: str | Path, backend: str = "auto", device: str = "cpu",
        seed: int | None = None) -> None:
    """Runs the M program at `path`, as `mrun PATH` does (see `mlang.api.run`)."""
    from mlang.api import run as run_program

    run_program(path, backend, device, seed)


def __getattr__(name: str) -> Any:
    """The library's names, imported from `mlang.api` when first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module 'mlang' has no attribute '{name}'")
    from mlang import api

    return getattr(api, name)


class _Package(types.ModuleType):
    """The `mlang` package: `mlang.run` stays the function when the module `mlang.run`
    (`python -m mlang.run`) is imported, which would otherwise rebind the attribute."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "run" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
