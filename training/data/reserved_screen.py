"""Run every staged image through shared/tools/reserved_check.py before it joins the extra set.

Why: reserved_sources.txt keeps whole repositories out, but a public repository can still hold a
copy (re-encode, resize, recolouring) of a reserved evaluation image; the shared tool compares
PDQ hashes against the reserved set. It runs in batches, one Python start per BATCH files, and
the sha256 of every file that passed is remembered beside the manifest, keyed by the tool and
its hash list, so a re-run checks only files it has not passed before.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

BATCH = 200
_NEAR_COPY = re.compile(r"^RESERVED-NEAR-COPY\t(.+)\tdistance (\d+)$")
_UNREADABLE = re.compile(r"^unreadable\t(.+)\t")


class ReservedCheckError(RuntimeError):
    """The check tool failed in a way that says nothing about the files (not exit status 0 or 1)."""


def parse_verdicts(stdout: str, stderr: str) -> dict[Path, str]:
    """File -> why it may not be used, from the tool's output (files it does not name passed)."""
    verdicts: dict[Path, str] = {}
    for line in stdout.splitlines():
        match = _NEAR_COPY.match(line)
        if match:
            verdicts[Path(match.group(1))] = f"near-copy of a reserved image (PDQ distance {match.group(2)})"
    for line in stderr.splitlines():
        match = _UNREADABLE.match(line)
        if match:  # what the check cannot read, it cannot clear
            verdicts[Path(match.group(1))] = "unreadable by the reserved check"
    return verdicts


class ReservedScreen:
    """Batches files through the check tool and remembers which contents passed."""

    def __init__(self, tool: Path, passed_file: Path):
        if not tool.is_file():
            raise SystemExit(f"reserved check tool not found at {tool}; refusing to stage unchecked images")
        self.tool, self.passed_file = tool, passed_file
        hashes = tool.parent.parent / "data" / "reserved_pdq.txt"
        key = hashlib.sha256(tool.read_bytes() + (hashes.read_bytes() if hashes.is_file() else b""))
        self.header = f"# sha256 of files that passed {tool.name} (tool and hash list {key.hexdigest()[:16]})"
        lines = passed_file.read_text().splitlines() if passed_file.is_file() else []
        self.passed = set(lines[1:]) if lines[:1] == [self.header] else set()

    def verdicts(self, files: dict[Path, str]) -> dict[Path, str]:
        """{file: sha256} -> {file: reason} for the files that may not be used."""
        todo = [path for path, digest in files.items() if digest not in self.passed]
        verdicts: dict[Path, str] = {}
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            run = subprocess.run(
                [sys.executable, str(self.tool), *map(str, batch)], capture_output=True, text=True
            )
            if run.returncode not in (0, 1):
                raise ReservedCheckError(f"{self.tool} exited {run.returncode}: {run.stderr[-2000:]}")
            verdicts.update(parse_verdicts(run.stdout, run.stderr))
        self.passed |= {files[path] for path in todo if path not in verdicts}
        self.passed_file.parent.mkdir(parents=True, exist_ok=True)
        self.passed_file.write_text("\n".join([self.header, *sorted(self.passed)]) + "\n")
        return verdicts
