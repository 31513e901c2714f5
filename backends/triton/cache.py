"""The compile cache of the Triton backend: generated modules on disk, by a hash of IR.

Triton reads a `@triton.jit` function's source from its file, so generated modules are
always executed from a file: `cache_dir("triton")/KEY.py` (see `backends/common/cache.py`:
KEY hashes the IR and the compiler's sources, and each entry is checked against the hash
it was stored with). A module is executed once per process; a disk hit skips generation.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from mlang.backends.common.cache import cache_dir, load_or_generate

Functions = dict[str, Callable[..., Any]]

_loaded: dict[str, tuple[Functions, str]] = {}


def load(key: str, generate: Callable[[], str]) -> tuple[Functions, str]:
    """The functions of the module cached under `key`, generating it on a miss; returns
    them with the module's source."""
    if key not in _loaded:
        name = f"mlang_triton_{key[:16]}"
        loaded = load_or_generate(cache_dir("triton") / f"{key}.py", generate,
                                  lambda text, path: _execute(text, path, name))
        _loaded[key] = (loaded.value, loaded.text)
    functions, source = _loaded[key]
    return dict(functions), source


def load_source(source: str) -> Functions:
    """The functions of generated source, through the cache (keyed by the source)."""
    return load(hashlib.sha256(source.encode()).hexdigest(), lambda: source)[0]


def forget_loaded() -> None:
    """Forgets the modules executed so far; the disk cache stays."""
    _loaded.clear()


def _execute(text: str, path: Path | None, name: str) -> Functions:
    """The `FUNCTIONS` of the module `name` that `text` defines, executed as the file
    `path` (a private temporary file where the cache is unwritable)."""
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="mlang-triton-")) / f"{name}.py"
        path.write_text(text)
    module = ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    exec(compile(text, str(path), "exec"), module.__dict__)
    return dict(module.FUNCTIONS)
