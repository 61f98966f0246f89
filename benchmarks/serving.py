"""A real ``pixelproof serve`` on loopback for the reliability benchmarks (fuzz, load, kill9):
started in its own process from this interpreter, watched through /proc, stopped or killed."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .process_tree import rss_mb

START_TIMEOUT_S = 300  # a busy machine loading the models takes minutes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log: Path

    def rss_mb(self) -> float:
        """The server's resident set size now (Linux: /proc)."""
        return rss_mb(pid=self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()

    def kill9(self) -> None:
        self.process.kill()
        self.process.wait()


def start_server(store_args: list[str], log: Path, port: int | None = None, env: dict[str, str] | None = None) -> Server:
    """``pixelproof serve --open`` on 127.0.0.1, healthy: no keys, so no per-key limit shapes
    what a benchmark measures; the server-wide admission and time budget still apply."""
    port = port or free_port()
    command = [sys.executable, "-m", "pixelproof", "serve", "--open", "--port", str(port), *store_args]
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pixelproof serve exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill9()
    raise RuntimeError(f"pixelproof serve was not healthy after {START_TIMEOUT_S}s")


def warm_up(server: Server, image: bytes, only: str = "", tries: int = 5) -> None:
    """Analyze ``image`` until it succeeds: the first analysis loads the models (every one, or
    those ``only`` names), which on a busy machine can outlast the time budget (503) and would
    otherwise count against the figures."""
    params = {"only": only} if only else {}
    for _ in range(tries):
        upload = {"image": ("warm-up", image, "application/octet-stream")}
        answer = httpx.post(f"{server.base_url}/v1/analyze", files=upload, params=params, timeout=START_TIMEOUT_S)
        if answer.status_code == 200:
            return
    raise RuntimeError(f"the warm-up analysis did not succeed in {tries} tries (see {server.log})")


def error_shape_ok(response: httpx.Response) -> bool:
    """An answer other than 200 is ``{"error": {"code": str, "message": str}}`` and nothing else."""
    if response.status_code == 200:
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    detail = body.get("error") if isinstance(body, dict) and set(body) == {"error"} else None
    return (
        isinstance(detail, dict)
        and set(detail) == {"code", "message"}
        and all(isinstance(detail[key], str) and detail[key] for key in ("code", "message"))
    )


def error_code(response: httpx.Response) -> str:
    """The stable error code of an answer ("ok" for 200, "?" where there is none)."""
    if response.status_code == 200:
        return "ok"
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return "?"


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def machine() -> str:
    """CPU model and count, for the printed figures."""
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        "unknown CPU",
    )  # fmt: skip
    return f"{model}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
