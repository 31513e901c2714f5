"""The on-disk caches of generated code that the torch and Triton backends share.

Each cache is a folder of `cache_dir()`. Entries are named by `key_of(IR text)`, a sha256
of the text and of `fingerprint()`, the hash of every source file that shapes generated
code, so that a changed compiler never reuses what an older one generated.

An entry is a generated Python module followed by one trailer line, `# mlang-cache
sha256=HEX`, the hash of the text above it (a trailer rather than a header keeps the
module's line numbers, which Triton reads its kernels' source by). `read_entry` returns
the text only where the trailer matches it, so that a truncated, emptied, garbled or
edited entry reads as missing and is never executed; `load_or_generate` then regenerates
it, and also treats an entry that fails to load as missing. Entries are written through a
rename, so that readers see the old file or the new one, never part of one; an unwritable
cache is skipped.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Generic, TypeVar

PACKAGE = Path(__file__).resolve().parents[2]
"""The root of the `mlang` sources."""
SHAPING = ("support", "dialects", "passes", "backends")
"""The folders of the package whose sources decide generated code (the frontend and the
runtime do not: keys hash the IR that the frontend produced)."""
_TRAILER = b"\n# mlang-cache sha256="

T = TypeVar("T")


def cache_dir(name: str) -> Path:
    """The folder of the cache `name`: `$MLANG_CACHE_DIR/NAME`, else
    `$XDG_CACHE_HOME/mlang/NAME`, else `~/.cache/mlang/NAME`."""
    if root := os.environ.get("MLANG_CACHE_DIR"):
        return Path(root) / name
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "mlang" / name


@cache
def fingerprint() -> str:
    """A sha256 of xDSL's version and of the `.py` and `.c` files under `SHAPING`, computed
    once per process (a few milliseconds)."""
    import xdsl

    digest = hashlib.sha256(str(getattr(xdsl, "__version__", "?")).encode())
    for folder in SHAPING:
        for file in sorted((PACKAGE / folder).rglob("*")):
            if file.suffix in (".py", ".c") and file.is_file():
                digest.update(str(file.relative_to(PACKAGE)).encode())
                digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def key_of(text: str) -> str:
    """The cache key of IR text: a sha256 of it and of `fingerprint()`."""
    return hashlib.sha256(f"{fingerprint()}\n{text}".encode()).hexdigest()


def read_entry(path: Path) -> str | None:
    """The text of the entry at `path`, or None where there is none or it does not match
    its trailer's hash (or cannot be read or decoded)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    body, trailer, tail = data.rpartition(_TRAILER)
    if not trailer or tail.rstrip(b"\n") != hashlib.sha256(body).hexdigest().encode():
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def write_entry(path: Path, text: str) -> bool:
    """Writes `text` and its trailer to `path` atomically; False where the cache cannot
    be written."""
    body = text.encode()
    try:
        write_atomically(path, body + _TRAILER + hashlib.sha256(body).hexdigest().encode()
                         + b"\n")
    except OSError:
        return False
    return True


def write_atomically(path: Path, data: bytes) -> None:
    """Writes `data` to `path` through a temporary file and a rename, so that readers see
    the old file or the new one, never part of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """What `load_or_generate` found or made."""

    value: T
    text: str
    """The generated module's source."""
    hit: bool
    """Whether `text` came from the disk."""


def load_or_generate(path: Path, generate: Callable[[], str],
                     load: Callable[[str, Path | None], T]) -> Loaded[T]:
    """`load(text, path)` of the entry at `path`, or of `generate()` (then stored there)
    where the entry is missing, damaged or fails to load; `load` is given no path where
    the cache cannot be written."""
    text = read_entry(path)
    if text is not None:
        try:
            return Loaded(load(text, path), text, True)
        except Exception:  # noqa: BLE001 -- an entry that fails to load is a miss
            pass  # overwritten below
    text = generate()
    return Loaded(load(text, path if write_entry(path, text) else None), text, False)
