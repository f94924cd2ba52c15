"""Keep glibc from handing frame-sized buffers back to the OS after every frame.

Every frame allocates and frees several buffers of hundreds of kilobytes (encoded images,
protobuf serialization, gRPC slices). With glibc's defaults such blocks are returned to the OS
when freed (heap trimming, or mmap/munmap above the mmap threshold), so the next frame's
buffers fault their pages in again, which makes serializing a frame several times slower
(benchmarks/RESULTS.md, "Daemon internals"). Fixed, high thresholds keep the memory in the heap
for reuse; the cost is that up to TRIM_THRESHOLD_BYTES of freed memory stays with the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
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
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    if not ok:
        log.warning("mallopt refused the malloc thresholds; frames may be slower to encode")
    return ok
