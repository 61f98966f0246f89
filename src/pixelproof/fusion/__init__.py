"""Stage 3: weigh the analyzers' signals into one verdict."""

from .verdict import Generator, Verdict, fuse

__all__ = ["Generator", "Verdict", "fuse"]
