"""Keep a worker's memory from creeping up under bursts of large requests (glibc's allocator).

Each thread that allocates may get its own glibc malloc arena, and memory freed after a large batch stays
in those arenas rather than going back to the system: a worker grew from 686 to 1,554 MiB over three floods
of large requests. ``limit_arenas`` caps the arenas (what ``MALLOC_ARENA_MAX`` does, set at run time before
the request threads start) and ``release_memory`` returns free memory to the system (``malloc_trim``),
called after every decode of the heavy lane. Both are no-ops where glibc is not the C library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_ARENA_MAX = -8  # mallopt parameter number in glibc's malloc.h


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(count: int) -> bool:
    """Allow at most ``count`` malloc arenas in this process; True if glibc took it."""
    libc = _libc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, count))


def release_memory() -> bool:
    """Give freed heap memory back to the system; True if some was released."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0))
