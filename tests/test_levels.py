"""Imports run downward only: a module imports from its own level or from one below.

The levels, low to high (DESIGN.md, "Levels and what sits where"):

    support < dialects < frontend, passes < backends < runtime < tools < api, run

`api.py` (the Python library, `import mlang`) and `run.py` (`python -m mlang.run`) are
modules at the top of the package: they call into `tools` (mrun's `run_program`), so they
sit above it.

`frontend` and `passes` stand side by side: neither imports the other. Every import
statement of every module is parsed, at module level, inside a function or under
`TYPE_CHECKING`, absolute or relative. The few that cross a level on purpose are in
`ALLOWED`, each with its reason. (Imports by a computed name, such as the pass registry's
`import_module(f"mlang.passes.{name}")`, are not seen; they name their own level.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEVELS = {
    "support": 0, "dialects": 1, "frontend": 2, "passes": 2, "backends": 3, "runtime": 4,
    "tools": 5, "api": 6, "run": 6,
}
"""Each top-level folder (or module: `api.py`) of the package and its level; a higher
number is a higher level."""

ALLOWED: dict[tuple[str, str], str] = {
    ("dialects/tensorops/base.py", "mlang.passes.canonicalization.tensorops"):
        "xDSL's own layout: a dialect's canonicalization trait imports its patterns, which "
        "live with the rewrites (xdsl.transforms.canonicalization_patterns), when a pass "
        "asks for them; the patterns build the dialect's ops, so the dialect cannot import "
        "them when it loads",
}
"""(importing file, imported module) -> why the upward import is deliberate."""


@dataclass(frozen=True)
class Import:
    """One imported module, where a file imports it."""

    file: str
    """The importing file, relative to the package root (`passes/quantize.py`)."""
    line: int
    module: str
    """The absolute name of the imported module (`mlang.support.diagnostics`)."""


def module_name(file: Path) -> str:
    """The dotted name under which `file` is imported (`mlang.passes.quantize`)."""
    parts = list(file.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["mlang", *parts])


def imports_of(file: Path, source: str | None = None) -> Iterator[Import]:
    """Every module that `file` imports (its text is `source`, if given), relative
    imports made absolute."""
    name = module_name(file)
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    rel = str(file.relative_to(ROOT))
    tree = ast.parse(source if source is not None else file.read_text(), rel)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (Import(rel, node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield Import(rel, node.lineno, _absolute(node, package))


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a `from ... import` names, `from .x` resolved against `package`."""
    if node.level == 0:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def room(module: str) -> str | None:
    """The top-level folder (`passes`) of an `mlang` module, or None outside the levels."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "mlang" or parts[1] not in LEVELS:
        return None
    return parts[1]


def crosses_levels(importer: str, imported: str) -> bool:
    """Whether a module of room `importer` may not import one of room `imported`: it is
    above it, or its sibling (frontend and passes)."""
    if importer == imported:
        return False
    return LEVELS[imported] >= LEVELS[importer]


def wrong_imports(imports: Iterator[Import]) -> list[Import]:
    """The imports that go up a level or sideways, other than the allowed ones."""
    wrong = []
    for imp in imports:
        importer, imported = imp.file.split("/")[0].removesuffix(".py"), room(imp.module)
        if imported is None or importer not in LEVELS:
            continue
        if crosses_levels(importer, imported) and (imp.file, imp.module) not in ALLOWED:
            wrong.append(imp)
    return wrong


def all_imports() -> Iterator[Import]:
    """The imports of every module in the levels."""
    for folder in LEVELS:
        module = ROOT / f"{folder}.py"
        for file in [module] if module.is_file() else sorted((ROOT / folder).rglob("*.py")):
            yield from imports_of(file)


def test_no_module_imports_from_a_level_above_its_own_or_beside_it() -> None:
    wrong = [f"{i.file}:{i.line} imports {i.module}" for i in wrong_imports(all_imports())]
    assert wrong == [], "move the shared code down a level, or add it to ALLOWED with why"


def test_every_allowed_import_is_still_made() -> None:
    made = {(i.file, i.module) for i in all_imports()}
    assert set(ALLOWED) - made == set(), "drop the entries of ALLOWED that no longer apply"


def test_the_scan_sees_imports_in_functions_and_relative_ones() -> None:
    file = ROOT / "passes" / "example.py"
    source = (
        "from . import quantize\n"
        "def f():\n"
        "    from ..runtime import model\n"
        "    import mlang.backends.torch\n"
        "    from mlang.frontend.ast import Node\n"
        "    from mlang.dialects import kernel\n"
    )
    wrong = wrong_imports(imports_of(file, source))
    assert [(i.line, i.module) for i in wrong] == [
        (3, "mlang.runtime"), (4, "mlang.backends.torch"), (5, "mlang.frontend.ast"),
    ]
