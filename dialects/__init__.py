"""The dialects mlang knows, by name, each loaded only when first used.

`get_all_dialects()` is the registry: a plain dict from dialect name to a factory that
imports and returns the `Dialect`. Adding a dialect is one line in `_DIALECTS`.
Factories import inside their bodies so that building a `Context` (and `mopt --help`)
stays cheap: a dialect's module is imported when the parser first meets one of its ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xdsl.context import Context
    from xdsl.ir import Dialect


def _builtin() -> Dialect:
    from xdsl.dialects.builtin import Builtin

    return Builtin


def _func() -> Dialect:
    from xdsl.dialects.func import Func

    return Func


def _arith() -> Dialect:
    from xdsl.dialects.arith import Arith

    return Arith


def _scf() -> Dialect:
    from xdsl.dialects.scf import Scf

    return Scf


def _math() -> Dialect:
    from xdsl.dialects.math import Math

    return Math


def _model() -> Dialect:
    from mlang.dialects.model import Model

    return Model


_DIALECTS: dict[str, Callable[[], Dialect]] = {
    "builtin": _builtin,
    "func": _func,
    "arith": _arith,
    "scf": _scf,
    "math": _math,
    "model": _model,
    "tensorops": lambda: __import__("mlang.dialects.tensorops").dialects.tensorops.TensorOps,
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
