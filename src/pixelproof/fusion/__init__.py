"""Stage 3: weigh the analyzers' signals into one verdict."""

from .verdict import Verdict, fuse

__all__ = ["Verdict", "fuse"]
