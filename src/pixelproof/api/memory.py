"""Giving memory back to the system after an analysis.

An analysis of a large image frees gigabytes, but glibc keeps freed heap pages in its
per-thread arenas for reuse, so the process stays that large (benchmarks/memory_release.py
measures it). ``malloc_trim(0)`` hands free pages of every arena back; elsewhere than glibc
there is nothing to call and nothing is done.
"""

import ctypes
import ctypes.util

_name = ctypes.util.find_library("c")
_malloc_trim = getattr(ctypes.CDLL(_name), "malloc_trim", None) if _name else None


def release() -> None:
    """Return freed heap memory to the OS (a few milliseconds; call it after big work, not in a loop)."""
    if _malloc_trim is not None:
        _malloc_trim(0)
