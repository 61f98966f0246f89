"""A loopback image host that answers only when the test says so: URL analyses held in flight
without a clock (tests/api/test_admission.py, tests/api/test_workers.py)."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .cli import HTTP_TIMEOUT_S
from .compat import image


class HeldHost(ThreadingHTTPServer):
    """Serves a PNG to every GET, but only once ``release`` is set; counts the requests waiting."""

    def __init__(self):
        self.release = threading.Event()
        self.waiting = threading.Condition()
        self.pending = 0
        self.body = image()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with host.waiting:
                    host.pending += 1
                    host.waiting.notify_all()
                host.release.wait(HTTP_TIMEOUT_S)
                self.send_response(200)
                self.send_header("Content-Length", str(len(host.body)))
                self.end_headers()
                self.wfile.write(host.body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def wait_for(self, count: int) -> None:
        with self.waiting:
            assert self.waiting.wait_for(lambda: self.pending >= count, HTTP_TIMEOUT_S), self.pending

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/held.png"


@contextmanager
def held_host():
    host = HeldHost()
    threading.Thread(target=host.serve_forever, daemon=True).start()
    try:
        yield host
    finally:
        host.release.set()
        host.shutdown()
        host.server_close()
