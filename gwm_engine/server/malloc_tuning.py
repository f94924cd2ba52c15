"""Keep glibc from handing frame-sized buffers back to the OS after every frame.

Every frame allocates and frees several buffers of hundreds of kilobytes (encoded images,
protobuf serialization, gRPC slices). With glibc's defaults such blocks are returned to the OS
when freed (heap trimming, or mmap/munmap above the mmap threshold), so the next frame's
buffers fault their pages in again, which makes serializing a frame several times slower
(benchmarks/RESULTS.md, "Daemon internals"). Fixed, high thresholds keep the memory in the heap
for reuse; the cost is that up to TRIM_THRESHOLD_BYTES of freed memory stays with the process.

One arena for every thread: memory freed in glibc's per-thread arenas (where gRPC's threads
put a request's bytes) was not handed back even by malloc_trim, so each large request left
tens of megabytes behind, varying with the thread that took it (benchmarks/RESULTS.md, "Daemon
internals"). Threads keep their own small-block caches (tcache), so little contends for it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # glibc's maximum on 64-bit
TRIM_THRESHOLD_BYTES = 128 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Apply the thresholds; False (and nothing changed) where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl builds)
        return False
    ok = (
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
        and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
        and mallopt(_M_ARENA_MAX, 1) == 1
    )
    if not ok:
        log.warning("mallopt refused the malloc thresholds; frames may be slower to encode")
    return ok


def release_freed_memory() -> None:
    """Return the free memory of every malloc arena to the OS (glibc's malloc_trim), after calls
    whose buffers were far bigger than a frame's: a 60 MiB seed or a world file. The high trim
    threshold above would otherwise keep up to 128 MiB per arena of it for good. Nothing where
    the C library is not glibc."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


_malloc_trim = _find_malloc_trim()
