"""Python names in generated modules: what the torch and Triton code generators share.

Both print one Python function per `func.func` and name values after their IR name
hints; `reserved` is the set of names that a generator's module refers to (its imports,
its helpers), which no value or function may shadow.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from xdsl.dialects import func

from mlang.backends.common.errors import CodegenError


def identifier(hint: str | None, reserved: frozenset[str]) -> str | None:
    """A Python identifier close to `hint` (`sum` becomes `sum_` when `sum` is reserved),
    or None without one."""
    name = re.sub(r"\W", "_", hint or "")
    if not name or name[0].isdigit():
        return None
    return f"{name}_" if name in reserved else name


def python_names(functions: Sequence[func.FuncOp], reserved: frozenset[str]) -> dict[str, str]:
    """A distinct Python identifier for each function, by IR symbol."""
    names: dict[str, str] = {}
    for f in functions:
        symbol = f.sym_name.data
        if symbol in names:
            raise CodegenError(f"two functions are named @{symbol}")
        name = identifier(symbol, reserved) or f"function{len(names)}"
        while name in names.values():
            name = f"{name}_"
        names[symbol] = name
    return names
