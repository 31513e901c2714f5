"""Reading an input file: bytes to UTF-8 text, and `--split-input-file` chunks.

A file that is not text at all (a model package, anything holding a NUL byte) is named
as such, rather than read as text that fails to parse somewhere inside the bytes.

Chunks are padded with the newlines of the lines before them, so that every line and
column inside a chunk, as the parser, the verifier and `expected-error` annotations see
them, is that of the original file: nothing downstream needs to know about splitting.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from mlang.support.diagnostics import CompileError, Loc

STDIN_NAME = "<stdin>"
PACKAGE_FORMAT = "mlang-package"
"""The `format` in a model package's header: runtime/packages.py writes it, and mopt
recognises a package by it."""
_TEXT_INPUTS = "mopt reads M (.m) and MLIR (.mlir) text"


@dataclass(frozen=True)
class SourceChunk:
    """Text to process on its own: a whole file, or one piece of a split file."""

    file: str
    text: str
    first_line: int


def read_input(path: str) -> tuple[str, bytes]:
    """Returns the name diagnostics use for `path` (`-` is stdin) and its bytes."""
    if path == "-":
        return STDIN_NAME, sys.stdin.buffer.read()
    try:
        with open(path, "rb") as stream:
            return path, stream.read()
    except OSError as err:
        raise CompileError(None, f"cannot read input file '{path}': {err.strerror}") from None


def check_text(data: bytes, file: str) -> None:
    """Rejects input that is not text: a safetensors file (a model package or not), or
    bytes holding a NUL, at the first one. Such an error quotes no source line."""
    kind = _safetensors_kind(data)
    if kind is not None:
        raise CompileError(Loc(file, 1, 1), f"not a text file: this is {kind}; {_TEXT_INPUTS}")
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        col = len(data[data.rfind(b"\n", 0, nul) + 1 : nul].decode("utf-8", errors="replace"))
        message = f"not a text file: it holds a NUL byte; {_TEXT_INPUTS}"
        raise CompileError(Loc(file, line, col + 1), message)


def _safetensors_kind(data: bytes) -> str | None:
    """`an mlang model package` or `a safetensors file` if `data` is one, else None.
    A safetensors file starts with its header's length (8 bytes, little-endian), then
    the header, a JSON object whose `__metadata__` holds a package's `format`."""
    size = int.from_bytes(data[:8], "little")
    if len(data) < 10 or data[8:9] != b"{" or size > len(data) - 8:
        return None
    try:
        header = json.loads(data[8 : 8 + size])
    except (ValueError, RecursionError):
        return None
    if not isinstance(header, dict):
        return None
    metadata = header.get("__metadata__")
    if isinstance(metadata, dict) and metadata.get("format") == PACKAGE_FORMAT:
        return "an mlang model package"
    return "a safetensors file"


def decode_utf8(data: bytes, file: str) -> str:
    """Decodes `data` as UTF-8; a bad byte is an error at its line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = data.rfind(b"\n", 0, err.start) + 1
        line = data.count(b"\n", 0, err.start) + 1
        col = len(data[line_start : err.start].decode("utf-8", errors="replace")) + 1
        message = f"invalid UTF-8 ({err.reason}, byte 0x{data[err.start]:02x})"
        raise CompileError(Loc(file, line, col), message) from None


def split_source(text: str, file: str, marker: str | None) -> list[SourceChunk]:
    """Splits `text` at lines that are `marker` alone; no marker gives one chunk."""
    if marker is None:
        return [SourceChunk(file, text, 1)]
    chunks: list[SourceChunk] = []
    # Only "\n" ends a line, as for the parser: str.splitlines would also split at "\f"...
    lines = text.split("\n")
    first = 0
    for index, line in enumerate(lines):
        if line.strip() == marker:
            chunks.append(_chunk(file, lines, first, index))
            first = index + 1
    chunks.append(_chunk(file, lines, first, len(lines)))
    return chunks


def _chunk(file: str, lines: list[str], first: int, end: int) -> SourceChunk:
    """The chunk of `lines[first:end]`, preceded by one newline per line before it."""
    return SourceChunk(file, "\n" * first + "\n".join(lines[first:end]), first + 1)
