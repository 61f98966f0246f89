"""The command line from a test: in this process, or as a child with stderr on a terminal."""

import os
import pty
import re
import subprocess
import threading

from click.testing import Result
from typer.testing import CliRunner

# How long a test waits for a command or a server to start or answer: only a hung one takes
# this long, and a loaded machine loading the models may take minutes.
HTTP_TIMEOUT_S = 180
TOKEN = re.compile(r"pp_[0-9a-f]{12}_[A-Za-z0-9_-]+")


def pixelproof_cli(*args: str) -> Result:
    """The real command line, in this process (a server runs as its own process, below), on a
    terminal wide enough that Rich wraps no message a test reads."""
    # imported here, so that a broken command fails its own tests rather than collection
    from pixelproof.cli import app

    return CliRunner(env={"COLUMNS": "200"}).invoke(app, list(args))


def on_a_terminal(command: list[str], **popen) -> tuple[int, str, bytes]:
    """Run ``command`` with stderr on a pseudo-terminal (where progress bars show) and stdout
    on a pipe: its exit status, its stdout, and what the terminal got. The terminal is read
    while the command runs, so a chatty bar never fills its buffer and blocks."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", **popen.pop("env", {})}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal, text=True, env=env, **popen)
    os.close(terminal)
    screen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal is closed once the child has exited
                return
            if not chunk:
                return
            screen.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    stdout, _ = proc.communicate(timeout=HTTP_TIMEOUT_S)
    reader.join(timeout=10)
    os.close(controller)
    return proc.returncode, stdout, bytes(screen)


def create_token(*store_args: str) -> str:
    result = pixelproof_cli("keys", "create", "--name", "tests", *store_args)
    assert result.exit_code == 0, result.output
    return TOKEN.search(result.stdout).group(0)
