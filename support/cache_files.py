"""Files of the on-disk caches of generated code: written whole or not at all, and read
back as missing when they cannot be read, so that a cache never breaks a compile."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
"""The root of the `mlang` sources."""


def sources_digest(entries: Iterable[str]) -> str:
    """A sha256 of xDSL's version and of the Python sources under `entries` (folders or
    files, relative to the package): part of a cache key, so that a changed compiler
    never reuses code that an older one generated."""
    import xdsl

    digest = hashlib.sha256(str(getattr(xdsl, "__version__", "?")).encode())
    for entry in entries:
        path = PACKAGE / entry
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            digest.update(str(file.relative_to(PACKAGE)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def read_cached(path: Path) -> str | None:
    """A cached file's text, or None when there is none (or it cannot be read)."""
    try:
        return path.read_text()
    except OSError:
        return None


def write_atomically(path: Path, text: str) -> None:
    """Writes `text` to `path` through a rename, so that readers never see part of it;
    an unwritable cache is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
