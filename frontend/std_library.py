"""The standard model library: the M files under std/ (package data), each imported as
`import std.NAME` and read by `pretrained` to build a checkpoint's model."""

from __future__ import annotations

import functools
from pathlib import Path

from mlang.frontend import ast
from mlang.frontend.lexer import decode_source
from mlang.frontend.parser import parse_program
from mlang.support.diagnostics import CompileError, Loc

STD_DIR = Path(__file__).resolve().parents[1] / "std"
"""The folder of the standard library's M files (`std.bert` is std/bert.m)."""


def std_modules() -> list[str]:
    """The dotted names of the standard library's modules."""
    return sorted(f"std.{p.stem}" for p in STD_DIR.glob("*.m"))


def std_path(module: str, loc: Loc) -> Path:
    """The file of standard module `module` (`std.bert`); a located error if there is none."""
    head, _, name = module.partition(".")
    path = STD_DIR / f"{name}.m"
    if head != "std" or not name.isidentifier() or not path.is_file():
        raise CompileError(loc, f"no standard module '{module}'; the standard modules are "
                                f"{', '.join(std_modules())} (a file is imported as "
                                f"import \"path.m\")")
    return path


@functools.cache
def std_source(path: Path) -> tuple[str, ast.Program]:
    """The text and parse of a standard module, read once per process: every import of it
    and `pretrained` share its declarations, so a model is specialised once."""
    text = decode_source(path.read_bytes(), str(path))
    return text, parse_program(text, str(path))
