"""What the compatibility suites share: a server or the API in this process, images made
here, and a loopback image host.

The compat servers run without models (an empty model cache), so no test waits on CLIP and
every score is decided by evidence the test wrote into the file: a declared AI image gets the
verdict's decisive 0.99, a plain one gets no score, and each API must say so honestly. The
tests of the model-backed sections (faces, nudity) start one with the fetched models.
"""

import io
import os
import random
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, PngImagePlugin

from pixelproof.settings import Settings

from .cli import TOKEN, create_token, pixelproof_cli

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _model_cache(tmp_path_factory, models: Settings | None):
    return models.cache_dir if models else tmp_path_factory.mktemp("no-models")


def start_compat_server(start_server, tmp_path_factory, *serve_args: str, models: Settings | None = None):
    """A server on a fresh store with one unlimited key, fetching from loopback, with the
    ``models`` cache (``fetched_models``) or none."""
    store_args = ("--data-dir", str(tmp_path_factory.mktemp("data")))
    token = create_token(*store_args)
    cache = {"PIXELPROOF_CACHE_DIR": str(_model_cache(tmp_path_factory, models))}
    return start_server(store_args, "--url-allow", "127.0.0.1", *serve_args, token=token, env=cache)


def start_compat_api(start_in_process_api, tmp_path_factory, models: Settings | None = None, **settings):
    """``start_compat_server``'s API in this process: the same store, key, loopback and models."""
    return start_in_process_api(cache_dir=_model_cache(tmp_path_factory, models), **settings)


def new_key(server, *options: str) -> str:
    """A token for a new key on the server's store, e.g. ``new_key(server, "--credits", "2")``."""
    result = pixelproof_cli("keys", "create", "--name", "compat", *options, *server.store_args)
    assert result.exit_code == 0, result.output
    return TOKEN.search(result.stdout).group(0)


def pair(token: str) -> tuple[str, str]:
    """(api_user, api_secret) of a token, as Sightengine clients send them."""
    key_id, secret = token.removeprefix("pp_").split("_", 1)
    return key_id, secret


def _pixels(size: tuple[int, int]) -> Image.Image:
    """Blocky noise: unique bytes every call, yet small once compressed."""
    small = Image.frombytes("RGB", (16, 16), random.randbytes(16 * 16 * 3))
    return small.resize(size, Image.Resampling.NEAREST)


def xmp(properties: str) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
        f"{properties}</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def image(fmt: str = "PNG", size: tuple[int, int] = (256, 256), xmp_packet: str | None = None) -> bytes:
    buf = io.BytesIO()
    picture = _pixels(size)
    if xmp_packet and fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp_packet)
        picture.save(buf, fmt, pnginfo=info)
    elif xmp_packet:
        picture.save(buf, fmt, xmp=xmp_packet.encode())
    else:
        picture.save(buf, fmt)
    return buf.getvalue()


MIDJOURNEY_XMP = xmp(
    f"<Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
    "<xmp:CreatorTool>Midjourney</xmp:CreatorTool>"
    "<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Harbour at dusk</rdf:li></rdf:Alt></dc:title>"
    "<dc:creator><rdf:Seq><rdf:li>A. Painter</rdf:li></rdf:Seq></dc:creator>"
    "<dc:subject><rdf:Bag><rdf:li>harbour</rdf:li><rdf:li>dusk</rdf:li></rdf:Bag></dc:subject>"
    "<photoshop:Credit>Example Press</photoshop:Credit>"
)


def ai_declared(fmt: str = "PNG", size: tuple[int, int] = (256, 256)) -> bytes:
    """An image whose XMP declares it made by Midjourney: decisive evidence, P(AI) 0.99."""
    return image(fmt, size, MIDJOURNEY_XMP)


@contextmanager
def image_host(files: dict[str, bytes]):
    """A plain HTTP server on loopback serving ``files`` by path; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def environ_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}
