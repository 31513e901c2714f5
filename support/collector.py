"""Compile phases run with Python's cyclic garbage collector paused.

A compile phase allocates IR objects by the hundred thousand and frees few of them, yet
every allocation counts towards CPython's collection thresholds: the collector runs over
and over, each young collection finds nothing to free, and once enough objects have
survived, a full collection traverses every tracked object of the process (the IR built
so far, torch's modules, ...). A phase's collector time thus grows faster than its IR:
none at 12 layers of `bench/encoder.py`, two full collections and a quarter of the
compile time at 48. With the collector paused, a phase does only its own work; the
garbage it leaves (cycles such as erased ops and their results) waits for the next
collection after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disables the cyclic garbage collector inside the block, unless it already is."""
    if not gc.isenabled():  # nested, or the program turned it off: leave it as it is
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
