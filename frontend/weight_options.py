"""The options of `load_weights(model, PATH, prefix=, rename=, transpose=, strict=)`, checked
at compile time and written as properties of `model.load_weights`."""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, StringAttr, UnitAttr
from xdsl.ir import Attribute

from mlang.frontend.builtin_args import Args, Locs
from mlang.frontend.values import Static, StaticValue, Value, describe
from mlang.support.diagnostics import CompileError, Loc

WEIGHT_OPTIONS = (("prefix", ""), ("rename", None), ("transpose", None), ("strict", True))
"""The keyword options of `load_weights` and their defaults."""


def weight_options(a: Args, locs: Locs) -> dict[str, Attribute]:
    """The properties that the options given stand for (an option at its default, none)."""
    props: dict[str, Attribute] = {}
    prefix = static(a["prefix"], locs["prefix"], "prefix")
    if prefix:
        props["prefix"] = StringAttr(text(prefix, locs["prefix"], "prefix"))
    rename = static(a["rename"], locs["rename"], "rename")
    if rename:
        props["rename"] = DictionaryAttr(renames(rename, locs["rename"]))
    transpose = static(a["transpose"], locs["transpose"], "transpose")
    if transpose:
        if not isinstance(transpose, (list, tuple)):
            transpose = [transpose]
        props["transpose"] = ArrayAttr(
            [StringAttr(text(t, locs["transpose"], "a transpose entry")) for t in transpose])
    strict = static(a["strict"], locs["strict"], "strict")
    if strict is None:
        return props
    if not isinstance(strict, bool):
        raise CompileError(locs["strict"], f"strict must be true or false, got {strict!r}")
    if not strict:
        props["lenient"] = UnitAttr()
    return props


def static(v: Value | None, loc: Loc, what: str) -> StaticValue:
    """An option's value, which must be known at compile time."""
    if v is None:
        return None
    if not isinstance(v, Static):
        raise CompileError(loc, f"load_weights: {what} must be known at compile time, got "
                                f"{describe(v)}")
    return v.value


def text(v: StaticValue, loc: Loc, what: str) -> str:
    """A string option."""
    if not isinstance(v, str):
        raise CompileError(loc, f"load_weights: {what} must be a string, got {v!r}")
    return v


def renames(v: StaticValue, loc: Loc) -> dict[str, Attribute]:
    """`rename={"old": "new", ...}` (a dictionary literal: a tuple of pairs) as a mapping."""
    usage = "load_weights: rename must map names to names: rename={\"old\": \"new\"}"
    if not isinstance(v, (list, tuple)):
        raise CompileError(loc, usage)
    out: dict[str, Attribute] = {}
    for pair in v:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise CompileError(loc, usage)
        out[text(pair[0], loc, "a rename key")] = StringAttr(text(pair[1], loc, "a rename value"))
    return out
