"""Fetch an image from a user-supplied URL without letting the URL reach inside our network.

Every hop is checked before any connection is made: scheme, credentials, host spelling,
port and every address the host resolves to. We then connect to the exact address we
checked (the URL's host is swapped for it; the ``Host`` header and TLS SNI keep the name,
and the certificate is verified against the name), so a DNS answer that changes between
check and connect (DNS rebinding) cannot send us elsewhere. Redirects are followed here,
one checked hop at a time.

The fetch is a coroutine: a remote that is slow or never answers holds an await in the event
loop, not a worker thread the other routes need.
"""

import asyncio
import ipaddress
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from ..__version__ import __version__
from ..errors import TooLarge, UrlFetchFailed, UrlRefused
from ..settings import Settings
from .policy import CLOUD_METADATA_HOSTS, AllowList, IPAddress, refusal_reason

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
WEB_PORTS = frozenset(DEFAULT_PORTS.values())  # the only ports a target outside url_allow may use

# RFC 6761: localhost names are loopback by definition; asking DNS about them only leaks.
_LOCALHOST_ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
# Labels that inet_aton would read as a number (127.1, 0x7f000001, 2130706433, 0x7f.0.0.1).
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_HOSTNAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


@dataclass(frozen=True)
class _Target:
    """A URL that passed the checks, with the addresses it may be fetched from."""

    url: httpx.URL
    addresses: tuple[IPAddress, ...]


async def fetch_url(url: str, settings: Settings) -> bytes:
    """Download the body behind ``url``; raises UrlRefused, UrlFetchFailed or TooLarge.

    The whole fetch, all hops and DNS included, has connect + 2 × read timeouts to finish."""
    allow = AllowList.parse(settings.url_allow)
    seconds = settings.url_connect_timeout + 2 * settings.url_read_timeout
    current = _parse(url)
    try:
        async with asyncio.timeout(seconds):
            for _ in range(settings.url_max_redirects + 1):
                target = await _check(current, allow, settings)
                async with _open(target, settings) as response:
                    if response.is_redirect:
                        current = _parse(response.headers["location"], base=current)
                        continue
                    if not response.is_success:
                        raise UrlFetchFailed(f"{current.host} answered HTTP {response.status_code}")
                    return await _read_capped(response, settings.max_upload_bytes)
    except TimeoutError:
        raise UrlFetchFailed(f"fetching the URL took longer than {seconds:g}s") from None
    except httpx.TimeoutException as exc:
        raise UrlFetchFailed(f"timed out fetching from {current.host}") from exc
    except httpx.HTTPError as exc:
        raise UrlFetchFailed(f"could not fetch from {current.host}: {exc}") from exc
    raise UrlRefused(f"more than {settings.url_max_redirects} redirects")


async def post_json(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> int:
    """POST ``body`` (JSON) to ``url`` under the same checks as a fetch, and return the HTTP
    status. Redirects are not followed: a webhook receiver answers where it was registered.
    Raises UrlRefused, or UrlFetchFailed when no answer came."""
    current = _parse(url)
    seconds = settings.url_connect_timeout + 2 * settings.url_read_timeout
    try:
        async with asyncio.timeout(seconds):
            target = await _check(current, AllowList.parse(settings.url_allow), settings)
            sent = {"Content-Type": "application/json", "Accept": "*/*", **headers}
            async with _open(target, settings, "POST", body, sent) as response:
                return response.status_code
    except TimeoutError:
        raise UrlFetchFailed(f"posting to the URL took longer than {seconds:g}s") from None
    except httpx.HTTPError as exc:
        raise UrlFetchFailed(f"could not post to {current.host}: {exc}") from exc


async def check_url(url: str, settings: Settings) -> None:
    """Refuse, now, a URL that a later fetch or post would refuse (UrlRefused); resolving its
    name may also fail (UrlFetchFailed)."""
    await _check(_parse(url), AllowList.parse(settings.url_allow), settings)


def _parse(url: str, base: httpx.URL | None = None) -> httpx.URL:
    """Parse a URL (or a redirect's Location against ``base``) and check its shape."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = base.join(url) if base else httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise UrlRefused(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in DEFAULT_PORTS:
        raise UrlRefused(f"scheme {parsed.scheme or '(none)'!r} is not allowed; only http and https")
    if parsed.userinfo:
        raise UrlRefused("credentials in the URL (user:password@) are not allowed")
    if not parsed.raw_host:
        raise UrlRefused("the URL has no host")
    if len(str(parsed)) > MAX_URL_LENGTH:
        raise UrlRefused(f"URL is longer than {MAX_URL_LENGTH} characters")
    return parsed


async def _check(url: httpx.URL, allow: AllowList, settings: Settings) -> _Target:
    """Refuse a host, port or resolved address we must not connect to."""
    host = url.raw_host.decode("ascii")
    port = DEFAULT_PORTS[url.scheme] if url.port is None else url.port
    if not 0 < port < 65536:
        raise UrlRefused(f"port {port} is not a valid port")
    literal = _ip_literal(host)
    if allow.allows_host(host):
        return _Target(url, (literal,) if literal else await _resolve(host, port, settings))
    addresses = (literal,) if literal else await _resolve_name(host, port, settings)
    for address in addresses:
        reason = None if allow.allows_address(address) else refusal_reason(address)
        if reason:
            where = f"address {address}" if literal else f"{host} resolves to {address}"
            raise UrlRefused(f"{where}, which is not public: {reason}")
    if port not in WEB_PORTS and not all(allow.allows_address(a) for a in addresses):
        raise UrlRefused(f"port {port} is not allowed; only 80 and 443 (or a host in url_allow)")
    return _Target(url, addresses)


def _ip_literal(host: str) -> IPAddress | None:
    """The address an IP-literal host names; refuses numeric spellings other than dotted quads."""
    try:
        return ipaddress.ip_address(host.removesuffix("."))
    except ValueError:
        pass
    if all(_NUMERIC_LABEL.fullmatch(label) for label in host.removesuffix(".").split(".")):
        raise UrlRefused(
            f"host {host!r} is a non-canonical numeric address; write IPv4 as four decimal numbers (a.b.c.d)"
        )
    if not _HOSTNAME.fullmatch(host):
        raise UrlRefused(f"host {host!r} is not a valid hostname")
    return None


async def _resolve_name(host: str, port: int, settings: Settings) -> tuple[IPAddress, ...]:
    name = host.removesuffix(".")
    if name in CLOUD_METADATA_HOSTS:
        raise UrlRefused(f"{host} is a cloud metadata host")
    if name == "localhost" or name.endswith(".localhost"):
        return _LOCALHOST_ADDRESSES
    return await _resolve(host, port, settings)


async def _resolve(host: str, port: int, settings: Settings) -> tuple[IPAddress, ...]:
    """Resolve once, here, so the addresses we check are the ones we connect to.

    getaddrinfo has no timeout of its own: it runs in the event loop's executor, and we stop
    waiting for it after the connect timeout.
    """
    lookup = asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        async with asyncio.timeout(settings.url_connect_timeout):
            infos = await lookup
    except TimeoutError:
        raise UrlFetchFailed(f"DNS lookup for {host} timed out") from None
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlFetchFailed(f"could not resolve {host}: {exc}") from exc
    return tuple(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


@asynccontextmanager
async def _open(
    target: _Target, settings: Settings, method: str = "GET", content: bytes | None = None, headers=None
) -> AsyncIterator[httpx.Response]:
    """Send the request to the first checked address that accepts a connection."""
    timeout = httpx.Timeout(settings.url_read_timeout, connect=settings.url_connect_timeout)
    url = target.url
    headers = {
        "Host": url.netloc.decode("ascii"),
        "Accept": "image/*",
        "Accept-Encoding": "identity",  # the size cap then counts what we hold: no decompression bombs
        "User-Agent": f"pixelproof/{__version__}",
        **(headers or {}),
    }
    extensions = {"sni_hostname": url.raw_host.decode("ascii").removesuffix(".")} if url.scheme == "https" else {}
    # One client per hop and no proxies from the environment: a connection is never reused
    # for another host, and nothing but us resolves the name.
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
        for index, address in enumerate(target.addresses):
            request = client.build_request(
                method, url.copy_with(host=str(address)), headers=headers, content=content, extensions=extensions
            )
            try:
                response = await client.send(request, stream=True)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if index == len(target.addresses) - 1:
                    raise
        try:
            yield response
        finally:
            await response.aclose()


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the remote file is {declared} bytes; the limit is {limit}")
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the remote file is over the {limit}-byte limit")
    return bytes(body)
