"""Jobs from a test's side: loopback images to fetch, a loopback webhook receiver, and waiting
for a job to finish (tests/api/test_jobs.py on SQLite, test_job_queue.py on PostgreSQL)."""

import io
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

from .cli import HTTP_TIMEOUT_S
from .waiting import until

FINISHED = ("done", "failed", "cancelled")
CHEAP = "metadata"  # the analyzer the jobs run: no model to load


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 48), (seed * 40 % 256, 90, 200)).save(out, format="PNG")
    return out.getvalue()


class ImageHost:
    """Loopback images at /img/N.png; /gate/N.png answers only once ``gate`` is set, and
    ``reached`` tells that a request for it arrived. ``hits`` counts requests per path."""

    def __init__(self):
        self.gate = threading.Event()
        self.reached = threading.Event()
        self.hits: Counter[str] = Counter()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                host.hits[self.path] += 1
                if self.path.startswith("/gate/"):
                    host.reached.set()
                    host.gate.wait(HTTP_TIMEOUT_S)
                body = png(int(self.path.rsplit("/", 1)[-1].removesuffix(".png")))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http.server_port}{path}"

    def close_gate(self) -> None:
        self.gate.clear()
        self.reached.clear()


@contextmanager
def image_host() -> Iterator[ImageHost]:
    """An ImageHost until the block ends; its gate opens then, so no request hangs on."""
    host = ImageHost()
    try:
        yield host
    finally:
        host.gate.set()
        host.http.shutdown()


class WebhookReceiver:
    """Loopback receiver: answers 500 to the first ``failures`` posts, then 200; keeps them all."""

    def __init__(self, failures: int):
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.delivered = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers), body))
                ok = len(receiver.posts) > failures
                self.send_response(200 if ok else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if ok:
                    receiver.delivered.set()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_port}/hooks/pixelproof"


def finished(client, job_id: str) -> dict:
    """The job once it has finished."""
    return until(lambda: client.get(f"/v1/jobs/{job_id}").json(), lambda job: job["state"] in FINISHED)
