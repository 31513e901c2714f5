"""Located diagnostics: `FILE:LINE:COL: error: MESSAGE`, the source line and a caret.

Every error the user can cause, at compile time or at run time, is raised as a
`CompileError` (or a subclass) carrying a `Loc`; the command-line tools catch it,
render it with `render()` and exit with status 1.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Loc:
    """A position in a source file; line and column count from 1."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass
class Note:
    """A secondary message attached to a diagnostic."""

    loc: Loc | None
    message: str


class CompileError(Exception):
    """A user-facing error at a source location (syntax, type, shape, runtime)."""

    severity = "error"

    def __init__(self, loc: Loc | None, message: str, notes: list[Note] | None = None):
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.notes = notes or []


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'X'?` for the candidate closest to a misspelt `name`, or "" when
    none is close: every "unknown name" message ends with it, worded the same way."""
    others = sorted({c for c in candidates if c != name})
    matches = difflib.get_close_matches(name, others, n=1)
    return f"; did you mean '{matches[0]}'?" if matches else ""


class ShapeMismatch(CompileError):
    """Sizes that do not fit together. Raised in the body of a function or sub-model that
    is being inlined, it is reported at the call whose arguments brought those sizes, with
    a note where the body found them (M-LANGUAGE.md section 3)."""


class InternalError(CompileError):
    """A failure inside the compiler itself, reported as `internal error`."""

    severity = "internal error"


@dataclass
class SourceManager:
    """Caches source texts so that diagnostics can quote the offending line."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, file: str, text: str) -> None:
        """Remembers the text of `file` (as decoded by the frontend)."""
        self.texts[file] = text

    def line(self, file: str, line: int) -> str | None:
        """Returns line `line` of `file`, reading it from disk if needed."""
        text = self.texts.get(file)
        if text is None:
            try:
                text = Path(file).read_bytes().decode("utf-8", errors="replace")
            except OSError:
                return None
            self.texts[file] = text
        lines = text.splitlines()
        if 1 <= line <= len(lines):
            return lines[line - 1]
        return None


def format_diagnostic(
    loc: Loc | None, severity: str, message: str, sources: SourceManager | None = None
) -> str:
    """Renders one diagnostic: header line, then source line and caret when known."""
    if loc is None:
        return f"{severity}: {message}\n"
    header = f"{loc}: {severity}: {message}\n"
    text = (sources or SourceManager()).line(loc.file, loc.line)
    if text is None:
        return header
    text = text.replace("\t", " ")
    if len(text) > 200:
        # Very long lines (minified or binary input) are clipped around the column.
        start = max(0, loc.col - 100)
        text = text[start : start + 200]
        caret_col = loc.col - start
    else:
        caret_col = loc.col
    caret = " " * max(0, caret_col - 1) + "^"
    return f"{header}{text}\n{caret}\n"


def render(err: CompileError, sources: SourceManager | None = None) -> str:
    """Renders an error and its notes as the user sees them on standard error."""
    out = format_diagnostic(err.loc, err.severity, err.message, sources)
    for note in err.notes:
        out += format_diagnostic(note.loc, "note", note.message, sources)
    return out


def describe_exception(err: BaseException) -> str:
    """`TypeName: message`, on one line: how an unexpected exception is named in an
    internal error."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


class UserError(Exception):
    """An error in what the user asked for, raised where no source location is known.

    Library code (data sets, training, packages) raises it; the runtime re-raises it as a
    `CompileError` at the location of the statement being executed.
    """
