"""The dialects mlang knows, by name, each loaded only when first used.

`get_all_dialects()` is the registry: a plain dict from dialect name to a factory that
imports and returns the `Dialect`. Adding a dialect is one line in `_DIALECTS`:

    "kernel": lambda: _load("mlang.dialects.kernel", "Kernel"),

Factories import inside their bodies so that building a `Context` (and `mopt --help`)
stays cheap: a dialect's module is imported when the parser first meets one of its ops.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xdsl.context import Context
    from xdsl.ir import Dialect


def _load(module: str, name: str) -> Dialect:
    """Imports `module` and returns its dialect object `name`."""
    from xdsl.ir import Dialect

    dialect = getattr(import_module(module), name)
    assert isinstance(dialect, Dialect), f"{module}.{name} is not a Dialect"
    return dialect


_DIALECTS: dict[str, Callable[[], Dialect]] = {
    "builtin": lambda: _load("xdsl.dialects.builtin", "Builtin"),
    "func": lambda: _load("xdsl.dialects.func", "Func"),
    "arith": lambda: _load("xdsl.dialects.arith", "Arith"),
    "scf": lambda: _load("xdsl.dialects.scf", "Scf"),
    "math": lambda: _load("xdsl.dialects.math", "Math"),
    "model": lambda: _load("mlang.dialects.model", "Model"),
    "tensorops": lambda: _load("mlang.dialects.tensorops", "TensorOps"),
    "kernel": lambda: _load("mlang.dialects.kernel", "Kernel"),
    "torchcall": lambda: _load("mlang.dialects.torchcall", "TorchCall"),
}


def get_all_dialects() -> dict[str, Callable[[], Dialect]]:
    """Returns every dialect name mapped to a factory that imports and returns it."""
    return dict(_DIALECTS)


def make_context(allow_unregistered: bool = False) -> Context:
    """Returns a Context with every dialect registered lazily and `builtin` loaded."""
    from xdsl.context import Context

    ctx = Context(allow_unregistered=allow_unregistered)
    for name, factory in get_all_dialects().items():
        ctx.register_dialect(name, factory)
    # The parser needs builtin before any op is seen: `builtin.module`, types, locations.
    ctx.load_registered_dialect("builtin")
    return ctx
