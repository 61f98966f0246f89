"""The server-side URL fetcher against real loopback servers.

Nothing here talks to a non-loopback address: every refused URL is refused before any
connection (a loopback canary listener proves it for loopback targets), and every name
used resolves without DNS.
"""

import asyncio
import io
import queue
import select
import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from pixelproof.errors import TooLarge, UrlFetchFailed, UrlRefused
from pixelproof.ingest import fetch_url
from pixelproof.settings import Settings

CAP = 20_000


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 90)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def fetch(url: str, settings: Settings) -> bytes:
    """The fetcher is a coroutine: each call runs in an event loop of its own."""
    return asyncio.run(fetch_url(url, settings))


def settings(*allow: str, **overrides) -> Settings:
    """Timeouts far longer than any loopback fetch, however loaded the machine: only the tests
    about timeouts shorten them."""
    values = dict(url_allow=allow, url_connect_timeout=10.0, url_read_timeout=10.0, max_upload_bytes=CAP)
    return Settings(**(values | overrides))


# Servers


class Canary:
    """A loopback listener that never accepts: a connection attempt waits in its backlog."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        seen = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return seen
            conn.close()
            seen += 1


@pytest.fixture(scope="module")
def canary():
    listener = Canary()
    yield listener
    listener.sock.close()


class Handler(BaseHTTPRequestHandler):
    """Routes: /img.png, /chain/N (N relative redirects), /to?url=U, /missing, and the abusive ones."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.paths.append(self.path)
        url = urlsplit(self.path)
        route = getattr(self, "route_" + url.path.strip("/").split("/")[0].replace(".", "_"), self.route_missing)
        try:
            route(url)
        except (BrokenPipeError, ConnectionResetError):  # the fetcher hung up while we wrote
            self.server.hung_up.put(self.path)

    def stall(self, drip: bool = False) -> None:
        """Holds the connection, sending nothing more (or a byte every 0.1 s), until the fetcher
        hangs up; gives up after a minute."""
        for _ in range(600):
            if drip:
                self.wfile.write(b"\x00")
            readable, _, _ = select.select([self.connection], [], [], 0.1)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                self.server.hung_up.put(self.path)
                return

    def send(self, status: int, body: bytes = b"", **headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), str(value))
        self.end_headers()
        self.wfile.write(body)

    def route_img_png(self, url):
        self.send(200, PNG, Content_Type="image/png", Content_Length=len(PNG))

    def route_sized(self, url):
        size = int(url.path.split("/")[-1])
        self.send(200, b"\x00" * size, Content_Length=size)

    def route_chain(self, url):
        hops = int(url.path.split("/")[-1])
        self.send(302, Location=f"{hops - 1}" if hops > 1 else "/img.png")

    def route_to(self, url):
        self.send(302, Location=parse_qs(url.query)["url"][0])

    def route_missing(self, url):
        self.send(404, b"not here", Content_Length=8)

    def route_big_declared(self, url):
        """Claims a gigabyte, sends a little, then stalls: reading on would only time out."""
        self.send(200, b"\x00" * 100, Content_Length=10**9)
        self.stall()

    def route_big_undeclared(self, url):
        """No Content-Length (HTTP/1.0, body ends at close): the cap must apply while streaming."""
        self.send(200)
        for _ in range(CAP // 4096 + 2):
            self.wfile.write(b"\x00" * 4096)

    def route_slow(self, url):
        """Never answers."""
        self.stall()

    def route_drip(self, url):
        """Never idle long enough for a read timeout, never done: only the overall deadline stops it."""
        self.send(200)
        self.stall(drip=True)


class QuietServer(ThreadingHTTPServer):
    def __init__(self, address, handler):
        super().__init__(address, handler)
        self.paths: list[str] = []
        self.hung_up: queue.Queue[str] = queue.Queue()  # paths whose connection the fetcher dropped

    def handle_error(self, request, client_address):
        pass


def hung_up(server: QuietServer, path: str) -> bool:
    """Whether the fetcher drops its connection for ``path`` (the server holds it a minute at most)."""
    try:
        while server.hung_up.get(timeout=90) != path:
            pass
    except queue.Empty:
        return False
    return True


@pytest.fixture(scope="module")
def server():
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


OPENSSL_SELF_SIGNED = (
    "req -x509 -nodes -days 1 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    " -subj /CN=localhost -addext subjectAltName=DNS:localhost"
)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """HTTPS on loopback with a self-signed certificate for 'localhost'; records the SNI it gets."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, *OPENSSL_SELF_SIGNED.split(), "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.sni_names = []
    context.sni_callback = lambda _sock, name, _context: httpd.sni_names.append(name)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def base(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


# Refusals: nothing is connected to


def _hosts_file_loopback_name() -> str | None:
    """A name /etc/hosts maps to a loopback address (not localhost*), so resolving it needs no DNS."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#")[0].split()
        if fields and fields[0].startswith("127."):
            for name in fields[1:]:
                if "localhost" not in name and "." not in name:
                    return name
    return None


HOSTS_NAME = _hosts_file_loopback_name()

REFUSED = {
    # scheme
    "file": ("file:///etc/passwd", "scheme 'file'"),
    "ftp": ("ftp://127.0.0.1:{port}/x.png", "scheme 'ftp'"),
    "gopher": ("gopher://127.0.0.1:{port}/_GET", "scheme 'gopher'"),
    "data": ("data:image/png;base64,iVBORw0KGgo=", "scheme 'data'"),
    "javascript": ("javascript:alert(1)", "scheme 'javascript'"),
    "relative": ("/img.png", "scheme '(none)'"),
    # shape
    "userinfo": ("http://user:pass@127.0.0.1:{port}/", "credentials"),
    "user-only": ("http://user@example.com/", "credentials"),
    "empty-host": ("http:///img.png", "no host"),
    "too-long": ("http://example.com/" + "a" * 2100, "longer than 2048"),
    "bad-hostname": ("http://ex%41mple.com/", "not a valid hostname"),
    "port-zero": ("http://127.0.0.1:0/", "not a valid port"),
    "port-not-web": ("http://93.184.215.14:22/", "port 22 is not allowed"),
    # loopback, every spelling
    "loopback": ("http://127.0.0.1:{port}/", "loopback"),
    "loopback-other": ("http://127.8.9.10:{port}/", "loopback"),
    "loopback-trailing-dot": ("http://127.0.0.1.:{port}/", "loopback"),
    "decimal": ("http://2130706433:{port}/", "non-canonical numeric"),
    "hex": ("http://0x7f000001:{port}/", "non-canonical numeric"),
    "octal": ("http://0177.0.0.1:{port}/", "Invalid IPv4"),
    "short": ("http://127.1:{port}/", "non-canonical numeric"),
    "mixed": ("http://0x7f.0.0.1:{port}/", "non-canonical numeric"),
    "localhost": ("http://localhost:{port}/", "resolves to 127.0.0.1"),
    "localhost-dot": ("http://localhost.:{port}/", "resolves to 127.0.0.1"),
    "localhost-upper": ("http://LOCALHOST:{port}/", "loopback"),
    "sub-localhost": ("http://images.localhost:{port}/", "loopback"),
    "hosts-file-name": (f"http://{HOSTS_NAME}:{{port}}/", "loopback"),
    "ipv6-loopback": ("http://[::1]:{port}/", "loopback"),
    "ipv4-mapped": ("http://[::ffff:127.0.0.1]:{port}/", "IPv4-mapped"),
    "ipv4-mapped-hex": ("http://[::ffff:7f00:1]:{port}/", "IPv4-mapped"),
    "ipv4-mapped-long": ("http://[0:0:0:0:0:ffff:7f00:1]:{port}/", "IPv4-mapped"),
    "ipv4-compatible": ("http://[::127.0.0.1]:{port}/", "IPv4-compatible"),
    "unspecified": ("http://0.0.0.0:{port}/", "unspecified"),
    "unspecified-v6": ("http://[::]:{port}/", "unspecified"),
    # other classes
    "rfc1918-10": ("http://10.0.0.1/", "private"),
    "rfc1918-172": ("http://172.16.5.4/", "private"),
    "rfc1918-192": ("http://192.168.1.1/", "private"),
    "unique-local": ("http://[fd12:3456::1]/", "unique local"),
    "link-local": ("http://169.254.1.1/", "link-local"),
    "link-local-v6": ("http://[fe80::1]/", "link-local"),
    "link-local-zone": ("http://[fe80::1%25lo]/", "link-local"),
    "site-local-v6": ("http://[fec0::1]/", "site-local"),
    "multicast": ("http://224.0.0.1/", "multicast"),
    "multicast-v6": ("http://[ff02::1]/", "multicast"),
    "reserved": ("http://240.0.0.1/", "reserved"),
    "broadcast": ("http://255.255.255.255/", "broadcast"),
    "cgnat": ("http://100.64.0.1/", "CGNAT"),
    "benchmarking": ("http://198.18.0.1/", "benchmarking"),
    "documentation": ("http://192.0.2.1/", "documentation"),
    "documentation-v6": ("http://[2001:db8::1]/", "documentation"),
    # cloud metadata
    "aws-metadata": ("http://169.254.169.254/latest/meta-data/", "cloud metadata endpoint"),
    "aws-metadata-v6": ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata endpoint"),
    "alibaba-metadata": ("http://100.100.100.200/latest/meta-data/", "cloud metadata endpoint"),
    "gcp-metadata-name": ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata host"),
    "gcp-metadata-short": ("http://metadata/computeMetadata/v1/", "cloud metadata host"),
    # IPv4 tunnelled in IPv6
    "nat64-loopback": ("http://[64:ff9b::127.0.0.1]/", "NAT64 address embedding 127.0.0.1"),
    "nat64-private": ("http://[64:ff9b::a00:1]/", "NAT64 address embedding 10.0.0.1"),
    "6to4-loopback": ("http://[2002:7f00:1::]/", "6to4 address embedding 127.0.0.1"),
    "6to4-metadata": ("http://[2002:a9fe:a9fe::1]/", "6to4 address embedding 169.254.169.254"),
    "teredo": ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_without_connecting(case, canary):
    url, reason = REFUSED[case]
    if "None" in url:
        pytest.skip("/etc/hosts maps no name other than localhost to a loopback address")
    with pytest.raises(UrlRefused) as refused:
        fetch(url.format(port=canary.port), settings())
    assert reason in refused.value.message
    assert canary.connections() == 0


def test_canary_sees_a_real_connection(canary):
    """The zero counts above mean something only if the canary notices a connection."""
    with socket.create_connection(("127.0.0.1", canary.port)):
        pass
    assert canary.connections() == 1


# Fetching from an allowed loopback server


def test_fetch_needs_the_allow_list(server):
    url = f"{base(server)}/img.png"
    server.paths.clear()
    with pytest.raises(UrlRefused, match="loopback"):
        fetch(url, settings())
    assert server.paths == []
    assert fetch(url, settings("127.0.0.1")) == PNG
    assert server.paths == ["/img.png"]


@pytest.mark.parametrize("allow", [("127.0.0.0/8", "::1"), ("localhost",)])
def test_allow_by_network_or_hostname(server, allow):
    """localhost means 127.0.0.1 and ::1: both must be allowed, or the name itself."""
    url = f"http://localhost:{server.server_address[1]}/img.png"
    assert fetch(url, settings(*allow)) == PNG


def test_redirect_chain_within_allow_list(server):
    server.paths.clear()
    assert fetch(f"{base(server)}/chain/5", settings("127.0.0.1")) == PNG
    assert server.paths == ["/chain/5", "/chain/4", "/chain/3", "/chain/2", "/chain/1", "/img.png"]


def test_absolute_redirect_is_checked_again(server):
    target = f"{base(server)}/img.png"
    assert fetch(f"{base(server)}/to?url={target}", settings("127.0.0.1")) == PNG


@pytest.mark.slow
def test_too_many_redirects(server):
    with pytest.raises(UrlRefused, match="more than 5 redirects"):
        fetch(f"{base(server)}/chain/6", settings("127.0.0.1"))
    with pytest.raises(UrlRefused, match="more than 2 redirects"):
        fetch(f"{base(server)}/chain/3", settings("127.0.0.1", url_max_redirects=2))


@pytest.mark.parametrize(
    "location, reason",
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "cloud metadata endpoint"),
        ("http://10.0.0.1/", "private"),
        ("http://[::1]/", "loopback"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("gopher://127.0.0.1:70/", "scheme 'gopher'"),
    ],
)
def test_redirect_out_of_bounds_is_refused(server, location, reason):
    """UrlRefused, never a timeout (UrlFetchFailed): the target is refused, not attempted."""
    with pytest.raises(UrlRefused) as refused:
        fetch(f"{base(server)}/to?url={location}", settings("127.0.0.1"))
    assert reason in refused.value.message


def test_redirect_to_a_name_with_one_unallowed_address(server, canary):
    """Every address a name resolves to must pass: localhost is also ::1, which is not allowed."""
    with pytest.raises(UrlRefused, match="::1"):
        fetch(f"{base(server)}/to?url=http://localhost:{canary.port}/", settings("127.0.0.1"))
    assert canary.connections() == 0


def test_https_presents_the_name_and_verifies_the_certificate(tls_server):
    """We connect to the checked IP, but TLS still speaks for the name: SNI carries it and
    the certificate is verified (a self-signed one is rejected, never silently accepted)."""
    url = f"https://localhost:{tls_server.server_address[1]}/img.png"
    with pytest.raises(UrlFetchFailed, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(url, settings("localhost"))
    assert tls_server.sni_names == ["localhost"]
    assert tls_server.paths == []


# Size, time and remote errors


def test_body_at_the_cap_is_fine(server):
    assert len(fetch(f"{base(server)}/sized/{CAP}", settings("127.0.0.1"))) == CAP


def test_declared_length_over_cap_is_refused_early(server):
    """TooLarge, not a timeout: refused from the header, with the body still held back."""
    with pytest.raises(TooLarge, match="1000000000 bytes"):
        fetch(f"{base(server)}/big_declared", settings("127.0.0.1"))
    assert hung_up(server, "/big_declared")


def test_streamed_body_over_cap(server):
    with pytest.raises(TooLarge, match=f"over the {CAP}-byte limit"):
        fetch(f"{base(server)}/big_undeclared", settings("127.0.0.1"))


def test_slow_server_times_out(server):
    with pytest.raises(UrlFetchFailed, match="timed out"):
        fetch(f"{base(server)}/slow", settings("127.0.0.1", url_read_timeout=0.5))
    assert hung_up(server, "/slow")


@pytest.mark.slow
def test_dripping_server_hits_the_overall_deadline(server):
    """A byte every 0.1 s keeps the 2 s read timeout from firing; the deadline, connect + 2 × read, stops it."""
    with pytest.raises(UrlFetchFailed, match="longer than 5s"):
        fetch(f"{base(server)}/drip", settings("127.0.0.1", url_connect_timeout=1.0, url_read_timeout=2.0))
    assert hung_up(server, "/drip")


def test_remote_http_error(server):
    with pytest.raises(UrlFetchFailed, match="HTTP 404"):
        fetch(f"{base(server)}/missing", settings("127.0.0.1"))


def test_nothing_listening(canary):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(UrlFetchFailed, match="could not fetch"):
        fetch(f"http://127.0.0.1:{port}/img.png", settings("127.0.0.1"))
