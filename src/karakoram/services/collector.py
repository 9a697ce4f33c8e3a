"""Work that holds hundreds of thousands of small objects without cycles (rows read as tuples,
a page of declarations being assessed) runs with Python's cyclic garbage collector paused:
otherwise it would walk them again at every collection. Reference counting still frees what the
work drops; a cycle waits until the work is done."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block, back on after it (if it was on: nested blocks,
    and callers that had it off, are left as they were)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
