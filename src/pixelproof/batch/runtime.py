"""Which Ray runtime a batch runs on: one this process already joined, a cluster, or a local one."""

from collections.abc import Iterator
from contextlib import contextmanager

import ray


@contextmanager
def ray_runtime(address: str | None, cpus: int | None) -> Iterator[None]:
    """Join ``address`` (``auto``, ``ray://host:port``), or start a local runtime of ``cpus`` CPUs
    (all by default) and stop it afterwards. A runtime this process already joined (a notebook,
    a test) is used as it is, and left running."""
    if ray.is_initialized():
        yield
        return
    if address:
        ray.init(address=address)
    else:
        # address="local": a new runtime of our own, even where another Ray cluster runs on this
        # machine (`ray start`, another user's run), which plain ray.init() would join instead.
        ray.init(address="local", num_cpus=cpus, include_dashboard=False)
    try:
        yield
    finally:
        ray.shutdown()
