"""Python's cyclic garbage collector, paused while a run allocates.

Building a region creates one Mesa agent per job seeker (each with weak references in two
agent sets), and every week registers more. The collector's passes, triggered by those
allocations, then traverse every agent again and again: at 36,000 seekers they cost about as
much as creating the agents. Nothing in a week needs the collector (reference counting frees
its temporaries), so it is paused for the build and the run and resumes afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic collector inside the block; restore it as it was (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
