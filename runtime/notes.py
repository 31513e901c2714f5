"""One-line notes from library code: something the user should know that is not an error
(a file that may be cut short, a loss that grew by orders of magnitude).

Library code calls `note(message)`; the interpreter, while it runs a statement, routes
notes to `FILE:LINE:COL: note: MESSAGE` at that statement (`notes_to`). Outside it, a note
is written to standard error as `note: MESSAGE`. Python's `warnings` are never used for
this: a warning's text names our source lines, not the user's program.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

NoteSink = Callable[[str], None]


def _to_stderr(message: str) -> None:
    """The default sink: an unlocated note on standard error."""
    sys.stderr.write(f"note: {message}\n")


_sink: ContextVar[NoteSink] = ContextVar("note_sink", default=_to_stderr)


def note(message: str) -> None:
    """Reports `message` (one line) through the current sink."""
    _sink.get()(message)


@contextmanager
def notes_to(sink: NoteSink) -> Iterator[None]:
    """Routes the notes made inside the `with` block to `sink`."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)
