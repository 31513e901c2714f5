"""The compile cache of the Triton backend: generated modules on disk, by a hash of IR.

Triton reads a `@triton.jit` function's source from its file, so generated modules are
always imported from a file: `$MLANG_CACHE_DIR/triton/KEY.py` (else under
`$XDG_CACHE_HOME/mlang/triton`, else `~/.cache/mlang/triton`), written atomically, where
KEY is a sha256 of the kernel-level IR text and of the generator's sources. A module is
imported once per process; a disk hit skips generation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from mlang.support.cache_files import sources_digest, write_atomically

Functions = dict[str, Callable[..., Any]]

_VERSIONED = ("passes", "dialects", "backends/triton", "backends/torch", "backends/common")
_loaded: dict[str, ModuleType] = {}


def cache_dir() -> Path:
    """Where generated modules are kept."""
    if root := os.environ.get("MLANG_CACHE_DIR"):
        return Path(root) / "triton"
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "mlang" / "triton"


@cache
def version() -> str:
    """A sha256 of the sources that decide generated code (and xDSL's version)."""
    return sources_digest(_VERSIONED)


def key_of(ir_text: str) -> str:
    """The cache key of kernel-level IR text."""
    return hashlib.sha256(f"{version()}\n{ir_text}".encode()).hexdigest()


def load(key: str, generate: Callable[[], str]) -> tuple[Functions, str]:
    """The functions of the module cached under `key`, generating it on a miss; returns
    them with the module's source."""
    if key not in _loaded:
        path = cache_dir() / f"{key}.py"
        if not path.is_file():
            write_atomically(path, generate())
        if not path.is_file():  # an unwritable cache: a private temporary file
            path = Path(tempfile.mkdtemp(prefix="mlang-triton-")) / f"{key}.py"
            path.write_text(generate())
        _loaded[key] = _import(path, f"mlang_triton_{key[:16]}")
    module = _loaded[key]
    return dict(module.FUNCTIONS), Path(module.__file__ or "").read_text()


def load_source(source: str) -> Functions:
    """The functions of generated source, through the cache (keyed by the source)."""
    return load(hashlib.sha256(source.encode()).hexdigest(), lambda: source)[0]


def forget_loaded() -> None:
    """Forgets the modules imported so far; the disk cache stays."""
    _loaded.clear()


def _import(path: Path, name: str) -> ModuleType:
    """Imports a generated module from its file."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
