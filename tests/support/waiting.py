"""Waiting on a state, not on a clock: a test reads until the state it needs has come.

A worker that hangs is ended by pytest-timeout (`timeout` in pyproject.toml), so no test here
decides how long is too long on a machine whose other core may be busy.
"""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(read: Callable[[], T], done: Callable[[T], bool], pause_s: float = 0.1) -> T:
    """``read()`` again and again until ``done`` holds for what it returns; that value."""
    while not done(value := read()):
        time.sleep(pause_s)
    return value
