"""What built-in functions and layers ask of their arguments: numbers, booleans and
shapes known at compile time, and tensors; and the shape rules of their results, whose
mismatches are reported at the call.
"""

from __future__ import annotations

from collections.abc import Callable

from mlang.frontend.emitter import Emitter
from mlang.frontend.lexer import INT64_MAX
from mlang.frontend.types import TensorT
from mlang.frontend.values import Dyn, Static, Value, describe
from mlang.support import shapes
from mlang.support.diagnostics import CompileError, Loc, ShapeMismatch

Args = dict[str, Value | None]
"""A built-in's arguments by parameter name, None where the default applies."""
Locs = dict[str, Loc]
"""Where each argument of a built-in's call is written (the call's location if not)."""


def static_int(v: Value | None, loc: Loc, what: str) -> int:
    """A compile-time integer argument (an integral float is accepted, as `dim / heads`)."""
    if v is None or (isinstance(v, Static) and v.value is None):
        raise CompileError(loc, f"{what} must be an integer known at compile time")
    value = v.value if isinstance(v, Static) else None
    if isinstance(value, float) and value.is_integer() or (
            isinstance(value, int) and not isinstance(value, bool)):
        # IR attributes are 64-bit: a larger value (`1e300`) is refused here, not by xDSL.
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise CompileError(loc, f"{what} must fit in 64 bits, got {value:g}")
        return int(value)
    raise CompileError(loc, f"{what} must be an integer known at compile time, got {describe(v)}")


def optional_int(v: Value | None, loc: Loc, what: str) -> int | None:
    """A compile-time integer argument that may be left out or `none`."""
    if v is None or (isinstance(v, Static) and v.value is None):
        return None
    return static_int(v, loc, what)


def static_number(v: Value | None, loc: Loc, what: str) -> float:
    """A compile-time number argument."""
    if isinstance(v, Static) and isinstance(v.value, (int, float)) and not isinstance(
        v.value, bool
    ):
        return float(v.value)
    raise CompileError(loc, f"{what} must be a number known at compile time")


def static_bool(v: Value | None, loc: Loc, what: str) -> bool:
    """A compile-time boolean argument."""
    if isinstance(v, Static) and isinstance(v.value, bool):
        return v.value
    raise CompileError(loc, f"{what} must be true or false")


def static_shape(v: Value | None, loc: Loc, what: str = "shape") -> tuple[int, ...]:
    """A shape written as a list of compile-time integers."""
    if isinstance(v, Static) and isinstance(v.value, (list, tuple)):
        return tuple(static_int(Static(d), loc, f"each size in {what}") for d in v.value)
    raise CompileError(loc, f"{what} must be a list of integers known at compile time")


def required(a: Args, name: str) -> Value:
    """A required argument, which `bind` has checked is given."""
    v = a[name]
    assert v is not None
    return v


def tensor_arg(em: Emitter, v: Value | None, loc: Loc) -> Dyn[TensorT]:
    """A tensor argument, numbers becoming 0-d tensors."""
    assert v is not None  # a required argument, which `bind` has checked is given
    return em.tensor(v, loc)


def ranked(t: TensorT, loc: Loc, what: str) -> shapes.Shape:
    """The shape of a tensor whose rank must be known."""
    if t.shape is None:
        raise CompileError(loc, f"{what} needs a tensor of known rank")
    return t.shape


def derived_shape(x: TensorT, loc: Loc, what: str, rule: Callable[[shapes.Shape], shapes.Shape],
                  rank: int | None = None) -> shapes.Shape | None:
    """The result shape of a function of `x`: `rule` applied to its shape. For a tensor of
    unknown rank (a loaded model's output), whose shape only the run reveals, the rule is
    applied to `rank` unknown sizes when the result's rank is known, else nothing is."""
    if x.shape is not None:
        shape = x.shape
        return shape_rule(loc, what, lambda: rule(shape))
    if rank is None:
        return None
    return shape_rule(loc, what, lambda: rule((None,) * rank))


def shape_rule(loc: Loc, what: str, rule: Callable[[], shapes.Shape]) -> shapes.Shape:
    """Applies a shape rule, reporting a mismatch at `loc` (prefixed by `what` unless the
    rule's message already starts with it, as in `concat: sizes ... differ`)."""
    try:
        return rule()
    except shapes.ShapeError as err:
        message = str(err)
        if not message.startswith(what):
            message = f"{what}: {message}"
        raise ShapeMismatch(loc, message) from None
