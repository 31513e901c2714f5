"""What every family of the standard library declares for `pretrained`: the Hugging Face
architectures it builds and how a config's fields become its hyper-parameters; and the
helpers that read those fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mlang.frontend.values import StaticValue
from mlang.support.diagnostics import CompileError, Loc

Config = Mapping[str, object]
"""A parsed config.json."""


@dataclass(frozen=True)
class Family:
    """A family of the standard library: its module (`bert`), the field that holds the
    base model in its task models (`bert`, as Hugging Face's `base_model_prefix`), the
    model (`BertModel`), the architecture `labels=K` builds from a checkpoint of the base
    model (empty where the family has none: `labels=` is then refused), and how a config
    becomes hyper-parameters (every one any model of the family takes)."""

    module: str
    base: str
    base_model: str
    classifier: str
    hparams: Callable[[Config, Loc], dict[str, StaticValue]]


@dataclass(frozen=True)
class Architecture:
    """A Hugging Face architecture and the `std` model that builds it; `head` names the
    fields of its classification head, which `labels=K` makes anew (empty: none), and
    `optional` the fields of the base model that its checkpoints may lack (initialised
    then, as Hugging Face does)."""

    family: Family
    model: str
    head: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


def int_field(config: Config, name: str, loc: Loc) -> int:
    """An integer field of the config."""
    value = config.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise CompileError(loc, f"config.json: '{name}' must be an int, got {value!r}")
    return value


def float_field(config: Config, name: str, loc: Loc, default: float) -> float:
    """A number field of the config, `default` where it is absent."""
    value = config.get(name, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise CompileError(loc, f"config.json: '{name}' must be a number, got {value!r}")
    return float(value)


def bool_field(config: Config, name: str, loc: Loc, default: bool) -> bool:
    """A boolean field of the config, `default` where it is absent."""
    value = config.get(name, default)
    if not isinstance(value, bool):
        raise CompileError(loc, f"config.json: '{name}' must be true or false, got {value!r}")
    return value


def choice_field(config: Config, name: str, allowed: tuple[str, ...], loc: Loc,
            family: str) -> None:
    """Checks a string setting of the config that the std model implements one way of."""
    value = config.get(name, allowed[0])
    if value not in allowed:
        raise CompileError(loc, f"config.json: std.{family} implements {name} "
                                f"{' or '.join(map(repr, allowed))}, not {value!r}")


def num_labels(config: Config) -> int:
    """The number of classes of a classification config: `id2label`'s size, as Hugging
    Face counts them, else `num_labels`, else Hugging Face's default of 2."""
    id2label = config.get("id2label")
    if isinstance(id2label, dict) and id2label:
        return len(id2label)
    value = config.get("num_labels", 2)
    return value if isinstance(value, int) else 2
