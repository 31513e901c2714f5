"""Every pass a driver may run: the IR passes of `mlang.passes`, and the runtime's own.

A pass in `passes/` only rewrites IR. A pass that must run a model, with weights, data
and a backend (`calibrate`: `runtime/calibration.py`), belongs to the runtime, which may
import all of those; `mopt` takes its passes from `get_all_passes()` here, so that users
see one list. Registering one is a line in `_PASSES`, as in `mlang.passes`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from xdsl.passes import ModulePass

from mlang import passes


def _load(module: str, cls: str) -> type[ModulePass]:
    """Imports the pass class `cls` from `mlang.runtime.<module>`."""
    pass_class = getattr(import_module(f"mlang.runtime.{module}"), cls)
    assert isinstance(pass_class, type) and issubclass(pass_class, ModulePass)
    return pass_class


_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "calibrate": lambda: _load("calibration", "Calibrate"),
}


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Returns every pass name, IR passes and runtime passes, mapped to a factory that
    imports and returns its class."""
    return {**passes.get_all_passes(), **_PASSES}
