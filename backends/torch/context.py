"""What printing one torch function keeps track of: the Python names of its values and the
lines so far; and the error for IR that the torch backend cannot print."""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from xdsl.ir import SSAValue

from mlang.backends.common.errors import CodegenError
from mlang.backends.common.names import identifier

KERNELS = ("int8_matmul", "int8_row_scale", "int8_quantize", "int8_quantize_rows",
           "int8_scaled_matmul", "int8_linear", "batch_norm")
"""The helpers of `kernels.py` that generated code may call (named here so that printing
never imports torch)."""


def kernels_import(code: str) -> list[str]:
    """The import of the `kernels.py` helpers that generated `code` calls (none or one line)."""
    used = [name for name in KERNELS if re.search(rf"\b{name}\(", code)]
    return [f"from mlang.backends.torch.kernels import {', '.join(used)}"] if used else []


RESERVED = frozenset(
    {"torch", "params", "training", "device", "FUNCTIONS", *KERNELS, *keyword.kwlist,
     *dir(builtins)}
)
"""Names that generated code refers to, which values and functions must not shadow."""


@dataclass
class FunctionContext:
    """What the emitter knows while printing one function: names and lines so far."""

    functions: Mapping[str, str]
    """Python names of the module's functions, by IR symbol."""
    names: dict[SSAValue, str] = field(default_factory=dict[SSAValue, str])
    lines: list[str] = field(default_factory=list[str])
    anonymous: int = 0
    taken: set[str] = field(default_factory=set[str])
    """Every name given so far, with the functions' names: kept, not rebuilt per value,
    so that printing stays linear in the number of values."""

    def __post_init__(self) -> None:
        self.taken.update(self.functions.values())

    def bind(self, value: SSAValue) -> str:
        """Gives `value` a fresh name: its name hint if usable, else `v0`, `v1`, ..."""
        name = identifier(value.name_hint, RESERVED)
        while name is None or name in self.taken:
            name, self.anonymous = f"v{self.anonymous}", self.anonymous + 1
        self.names[value] = name
        self.taken.add(name)
        return name

    def use(self, value: SSAValue) -> str:
        """The name of a value defined earlier."""
        if value not in self.names:
            raise CodegenError(f"value {value} is used before it is defined")
        return self.names[value]

    def define(self, value: SSAValue, expression: str) -> None:
        """Emits `name = expression` for a new value."""
        self.define_all((value,), expression)

    def define_all(self, values: Sequence[SSAValue], expression: str) -> None:
        """Emits `a, b = expression` for new values that one call gives."""
        self.lines.append(f"{', '.join(self.bind(v) for v in values)} = {expression}")
