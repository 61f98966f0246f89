"""CPU seconds and peak memory of every process a run starts, read from /proc while it runs.

Ray's actors are children of its raylet, not of the command that asked for them, and the raylet
is killed at shutdown without reaping them, so the operating system's accounting of finished
children (``wait4``) misses them. Sampling the whole process tree below this process sees each
one, whoever its parent is; a process's last fraction of a sampling period is not counted.
"""

import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass
class ProcessSeen:
    label: str
    cpu_before_s: float = 0.0  # a process already running when sampling began: what it had used
    cpu_last_s: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def cpu_s(self) -> float:
        return self.cpu_last_s - self.cpu_before_s


@dataclass
class TreeUsage:
    processes: dict[int, ProcessSeen] = field(default_factory=dict)

    @property
    def cpu_s(self) -> float:
        return sum(seen.cpu_s for seen in self.processes.values())

    def by_label(self) -> dict[str, list[ProcessSeen]]:
        groups: dict[str, list[ProcessSeen]] = defaultdict(list)
        for seen in self.processes.values():
            groups[seen.label].append(seen)
        return dict(sorted(groups.items()))

    def describe(self) -> list[str]:
        """One line per kind of process: how many, their CPU seconds and the largest peak RSS."""
        return [
            f"{label:<44} {len(group):3d} × peak RSS ≤ {max(s.peak_rss_mb for s in group):6.0f} MB, "
            f"CPU {sum(s.cpu_s for s in group):7.1f} s"
            for label, group in self.by_label().items()
        ]


def _label(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    words = [word.decode(errors="replace") for word in argv if word]
    if not words:
        return "?"
    if words[0].startswith("ray::"):
        return words[0]  # Ray names its workers by what they run: ray::MapWorker(MapBatches(AnalyzeBatch))
    if any("multiprocessing" in word for word in words):
        return "python (multiprocessing worker)"
    if "-m" in words[:-1]:
        return f"python -m {' '.join(words[words.index('-m') + 1:][:2])}"
    return Path(words[0]).name


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry.name))
    return children


def _descendants(root: int) -> list[tuple[int, int]]:
    """Every (pid, parent pid) below ``root``."""
    children, found, todo = _children_map(), [], [root]
    while todo:
        parent = todo.pop()
        for child in children.get(parent, ()):
            found.append((child, parent))
            todo.append(child)
    return found


def rss_mb(field: str = "VmRSS", pid: int | str = "self") -> float:
    """A memory field of ``/proc/PID/status`` in MB (Linux): the resident set, or its high-water mark."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def _read(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and resident MB of ``pid`` now."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / TICKS_PER_S
    return cpu_s, rss_mb(pid=pid)


class TreeSampler:
    """Samples every descendant of this process (not this process itself) until stopped; a
    process already running (a server) counts only the CPU it uses from the start on."""

    def __init__(self, period_s: float = 0.2):
        self.period_s = period_s
        self.usage = TreeUsage()
        self._cpu_before = {}
        for pid, _ in _descendants(os.getpid()):
            try:
                self._cpu_before[pid] = _read(pid)[0]
            except (OSError, RuntimeError, ValueError):
                continue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period_s)

    def sample(self) -> None:
        for pid, parent in _descendants(os.getpid()):
            try:
                seen = self.usage.processes.get(pid) or ProcessSeen("", self._cpu_before.get(pid, 0.0))
                label = _label(pid)  # read again: a Ray worker renames itself once it holds an actor
                if parent in self.usage.processes and label == self.usage.processes[parent].label:
                    label += " (forked worker)"  # a pool's fork keeps its parent's command line
                if label != "?" or not seen.label:  # "?": exiting, its command line already gone
                    seen.label = label
                cpu_s, rss_mb = _read(pid)
            except (OSError, RuntimeError, ValueError):
                continue  # gone meanwhile, or a zombie without VmRSS
            seen.cpu_last_s = max(seen.cpu_last_s, cpu_s)
            seen.peak_rss_mb = max(seen.peak_rss_mb, rss_mb)
            self.usage.processes[pid] = seen


def timed_tree(action) -> tuple[float, TreeUsage]:
    """Wall seconds of ``action()`` and what the processes it started used meanwhile."""
    with TreeSampler() as sampler:
        start = time.perf_counter()
        action()
        wall_s = time.perf_counter() - start
        sampler.sample()
    return wall_s, sampler.usage
