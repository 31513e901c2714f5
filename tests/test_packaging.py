"""The distribution lists every source package, so that a non-editable install works."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
SOURCE_DIRS = ("backends", "dialects", "frontend", "passes", "runtime", "support", "tools")


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = {"mlang"} | {
        "mlang." + ".".join(init.parent.relative_to(ROOT).parts)
        for d in SOURCE_DIRS for init in (ROOT / d).rglob("__init__.py")
    }
    assert found - listed == set(), "add these to pyproject.toml's packages"


def test_the_standard_library_ships_as_package_data() -> None:
    """`import std.NAME` reads std/NAME.m from the installed package."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["mlang"]
    assert "std/*.m" in data
    assert list((ROOT / "std").glob("*.m"))
