"""exiftool's full metadata report, from one long-lived ``exiftool -stay_open`` process.

Pillow reads what the hot path needs. exiftool (Debian ``libimage-exiftool-perl``) knows
every maker's MakerNotes and thousands of tags, but it is a Perl program: starting it per
image costs far more than the whole hot path, so one process answers every request in
turn. Off unless the ``exiftool`` setting is on; a dead or stuck process is replaced.
"""

import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from typing import Any

ARGS = ("-json", "-G1", "-struct", "-charset", "filename=utf8")


class ExifToolError(RuntimeError):
    """exiftool is missing, died, answered garbage or took too long."""


class ExifTool:
    """A thread-safe client for one ``exiftool -stay_open True -@ -`` process."""

    def __init__(self, executable: str = "exiftool", timeout: float = 10.0):
        self.executable = executable
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._requests = 0
        self._finalizer: weakref.finalize | None = None  # stops the process if the client is dropped

    @staticmethod
    def available(executable: str = "exiftool") -> bool:
        return shutil.which(executable) is not None

    def report(self, data: bytes, suffix: str = "") -> dict[str, Any]:
        """Every tag exiftool finds in ``data``, keyed ``Group:Tag`` (``XMP-iptcExt:DigitalSourceType``)."""
        with self._lock, tempfile.NamedTemporaryFile(prefix="pixelproof-", suffix=suffix) as file:
            file.write(data)
            file.flush()
            try:
                answer = self._ask([*ARGS, file.name])
            except ExifToolError:
                self._restart_later()
                raise
            except OSError as exc:  # a broken pipe: it died between two requests
                self._restart_later()
                raise ExifToolError(f"exiftool failed: {exc}") from None
        try:
            [tags] = json.loads(answer)
        except (ValueError, TypeError) as exc:
            raise ExifToolError(f"exiftool answered something that is not one JSON report: {exc}") from None
        tags.pop("SourceFile", None)
        return tags

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.poll() is None else None

    def close(self) -> None:
        with self._lock:
            self._restart_later()

    def _ask(self, args: list[str]) -> str:
        process = self._running()
        self._requests += 1
        ready = f"{{ready{self._requests}}}".encode()
        process.stdin.write(("\n".join(args) + f"\n-execute{self._requests}\n").encode())
        process.stdin.flush()
        out = bytearray()
        deadline = time.monotonic() + self.timeout
        fd = process.stdout.fileno()
        while not out.rstrip().endswith(ready):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise ExifToolError(f"exiftool gave no answer within {self.timeout:g} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise ExifToolError("exiftool exited while reading a file")
            out += chunk
        return out.rstrip()[: -len(ready)].decode("utf-8", "replace")

    def _running(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            if not self.available(self.executable):
                raise ExifToolError(f"{self.executable!r} is not installed (Debian: libimage-exiftool-perl)")
            self._process = subprocess.Popen(
                [self.executable, "-stay_open", "True", "-@", "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # warnings also come in the JSON; an unread pipe would block it
            )
            if self._finalizer:
                self._finalizer.detach()
            self._finalizer = weakref.finalize(self, _stop, self._process)
        return self._process

    def _restart_later(self) -> None:
        """Stop the process; the next request starts a fresh one."""
        _stop(self._process)
        self._process = None


def _stop(process: subprocess.Popen | None) -> None:
    """Ask exiftool to leave, and make sure it does."""
    if process is None or process.poll() is not None:
        return
    try:
        process.stdin.write(b"-stay_open\nFalse\n")
        process.stdin.close()
        process.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()
