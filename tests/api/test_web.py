"""The web page, and the API docs offline, in a real browser: Debian's chromium, driven by
Playwright, on a real `pixelproof serve`.

Every image is made here: a C2PA-signed AI image (the C2PA tests' own test PKI), a PNG carrying
AUTOMATIC1111 settings served from a loopback server, and bytes that are no image at all.
Screenshots of the page on a desktop and a phone go to ``test-artifacts/`` (the ones in
docs/web.md come from scripts/web_screenshots.py).
"""

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import PngImagePlugin

from tests.support.c2pa import AI_CREATED, PKI, c2pa_manifest, sign
from tests.support.cli import create_token
from tests.support.fixtures import Server
from tests.support.images import encode, scene
from tests.support.shared import REPO_ROOT

try:
    from playwright.sync_api import Browser, Page, Response, Route, expect, sync_playwright
except ImportError:
    pytest.skip("playwright (Python) is not installed: pip install playwright", allow_module_level=True)

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

# Playwright's own browser download does not work here, and the test needs no network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"
KEY_STORAGE = "pixelproof.apiKey"  # where app.js keeps the key
# Every wait is on the page's state; the limit only ends a test that would hang. It is long: on a
# loaded machine the first analysis (which loads the models) can take minutes.
BROWSER_TIMEOUT_MS = 240_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)
A1111 = (
    "a lighthouse on a cliff at dusk\nNegative prompt: blurry\n"
    "Steps: 25, Sampler: DPM++ 2M, CFG scale: 6, Seed: 42, Size: 640x448, Model: sd_xl_base_1.0"
)


def c2pa_ai_jpeg() -> bytes:
    manifest = c2pa_manifest("ChatGPT", AI_CREATED, title="harbour.jpg")
    return sign(manifest, encode(scene(640, 448, seed=7), "JPEG", quality=88))


def a1111_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    return encode(scene(480, 336, seed=11), "PNG", pnginfo=info)


# servers and the browser


@pytest.fixture(scope="module")
def web_server(start_server, tmp_path_factory) -> Server:
    """An authenticated server with the region heatmap on, allowed to fetch from loopback, that
    adds every image it analyzes to its near-duplicate index (so a second upload is "seen before")."""
    store_args = ("--data-dir", str(tmp_path_factory.mktemp("web-data")))
    token = create_token(*store_args)
    env = {"PIXELPROOF_HEATMAP": "1", "PIXELPROOF_INDEX_ANALYZED": "1"}
    return start_server(store_args, "--url-allow", "127.0.0.1", token=token, env=env)


@pytest.fixture(scope="module")
def open_server(start_server, tmp_path_factory) -> Server:
    """A local server run with ``--open``: no key needed, and no near-duplicate index."""
    return start_server(("--data-dir", str(tmp_path_factory.mktemp("open-data"))), "--open")


@pytest.fixture(scope="module")
def image_host() -> Iterator[str]:
    """A loopback web server with one PNG at /lighthouse.png (CORS-free: the browser only shows it)."""
    body = a1111_png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path == "/lighthouse.png"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser: Browser, server: Server, *, token: str | None, **context_options) -> Page:
    context = browser.new_context(accept_downloads=True, **context_options)
    if token:
        context.add_init_script(f"localStorage.setItem({KEY_STORAGE!r}, {token!r})")
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(server.base_url + "/")
    return page


@pytest.fixture
def page(browser, web_server) -> Iterator[Page]:
    """The page in a fresh browser profile that already holds the server's key."""
    page = _open(browser, web_server, token=web_server.token, viewport={"width": 1280, "height": 900})
    yield page
    page.context.close()


def upload(page: Page, name: str, data: bytes, mime: str) -> Response:
    """Picks the file; returns the API's answer once the page got it."""
    with page.expect_response(lambda response: response.url.endswith("/v1/analyze")) as answer:
        page.locator("#file").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    return answer.value


def analyzed(page: Page, name: str, data: bytes, mime: str) -> str:
    """Uploads an image and waits until the page shows its report; returns the report id."""
    answer = upload(page, name, data, mime)
    assert answer.status == 200, answer.text()
    report_id = answer.json()["id"]
    expect(page.locator("#api-path")).to_have_text(f"GET /v1/reports/{report_id}")
    return report_id


def _report(server: Server, report_id: str) -> dict:
    with server.client() as client:
        response = client.get(f"/v1/reports/{report_id}")
    assert response.status_code == 200, response.text
    return response.json()


def screenshot(page: Page, name: str) -> None:
    """The whole page, from the top, as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=ARTIFACTS / name, full_page=True)


# the page itself


def test_page_and_assets_are_served_without_a_key_and_from_this_origin_only(web_server):
    page = httpx.get(web_server.base_url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    linked = re.findall(r'(?:src|href)="([^"]*)"', page.text)
    assert linked and all(link.startswith(("/", "#")) and not link.startswith("//") for link in linked), linked
    for asset, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        response = httpx.get(f"{web_server.base_url}/web/{asset}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
        assert not re.search(r"https?://|@import|url\(", response.text)
    missing = httpx.get(web_server.base_url + "/web/secrets.txt")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_upload_shows_verdict_evidence_and_the_c2pa_chain(page, web_server):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    report_id = analyzed(page, "harbour.jpg", c2pa_ai_jpeg(), "image/jpeg")
    expect(page.locator("#verdict-title")).to_have_text("AI-generated")
    expect(page.locator("#verdict-score")).to_have_text("AI probability 0.99")
    expect(page.locator("#generator")).to_contain_text("OpenAI")
    expect(page.locator("#decided-by")).to_have_text("Content Credentials (C2PA)")
    expect(page.locator("#verdict-why")).to_contain_text("Decided by Content Credentials (C2PA): ")
    provenance = page.locator('.group[data-analyzer="c2pa"]')
    expect(provenance.locator(".signal.ai")).to_contain_text("GPT-4o")
    expect(provenance.locator(".pill")).to_have_text("Points to AI · decisive")
    # the C2PA chain: signer, action, validation state
    chain = page.locator("#c2pa")
    expect(chain.locator(".state")).to_have_text("valid-untrusted")
    expect(chain.locator(".manifest-title")).to_contain_text("ChatGPT/1.0")
    expect(chain.locator(".manifest")).to_contain_text("Pixelproof Test Org")
    expect(chain.locator(".actions")).to_have_text("created with GPT-4o (trainedAlgorithmicMedia)")
    expect(page.locator("#preview")).to_have_attribute("src", re.compile(r"^blob:"))

    # the JSON link carries the stored report
    stored = _report(web_server, report_id)
    assert stored["verdict"]["label"] == "ai" and stored["media"]["format"] == "jpeg"
    with page.expect_download() as download:
        page.locator("#json-download").click()
    saved = download.value.path().read_text()
    assert f'"id": "{report_id}"' in saved and '"decided_by": "c2pa"' in saved

    # nothing was fetched from anywhere but this server (and the picked file's blob: URL)
    assert requested and all(url.startswith((web_server.base_url, "blob:")) for url in requested), requested

    screenshot(page, "web-desktop.png")


def test_a_trusted_signer_shows_the_anchor_its_chain_ends_at(browser, start_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("trusting")
    (folder / "anchors.pem").write_bytes(PKI.ca_pem)
    store_args = ("--data-dir", str(folder / "data"))
    env = {"PIXELPROOF_C2PA_TRUST_PEM": str(folder / "anchors.pem")}
    trusting = start_server(store_args, token=create_token(*store_args), env=env)
    with trusting.client() as client:  # the first analysis loads the models: not the page's to wait for
        warm = client.post("/v1/analyze", files={"image": ("warm.jpg", c2pa_ai_jpeg(), "image/jpeg")}, timeout=300)
        assert warm.status_code == 200, warm.text
    page = _open(browser, trusting, token=trusting.token)
    try:
        analyzed(page, "harbour.jpg", c2pa_ai_jpeg(), "image/jpeg")
        expect(page.locator("#c2pa .state")).to_have_text("trusted")
        expect(page.locator("#c2pa .trust-anchor")).to_contain_text("Trusted through Pixelproof Test Root CA, Pixelproof Test CA")
        page.locator("#c2pa").screenshot(path=ARTIFACTS / "web-c2pa-trusted.png")
    finally:
        page.context.close()


def test_url_analysis_reads_generator_settings(page, image_host):
    page.locator("#url").fill(f"{image_host}/lighthouse.png")
    page.get_by_role("button", name="Analyze URL").click()
    expect(page.locator("#verdict-title")).to_have_text("AI-generated")
    expect(page.locator("#generator")).to_contain_text("Stable Diffusion")
    expect(page.locator("#decided-by")).to_have_text("Generator text")
    generator_text = page.locator('.group[data-analyzer="generator_text"]')
    expect(generator_text.locator("h3")).to_have_text("Generator text")
    expect(generator_text.locator(".signal.ai")).to_contain_text("sd_xl_base_1.0")
    expect(page.locator("#c2pa")).to_be_hidden()
    expect(page.locator("#preview")).to_have_attribute("src", f"{image_host}/lighthouse.png")
    expect(page.locator("#media")).to_contain_text("480 × 336")


def test_errors_are_shown_plainly_and_take_the_old_result_away(page):
    analyzed(page, "first.png", encode(scene(320, 224, seed=1), "PNG"), "image/png")
    expect(page.locator("#result")).to_be_visible()

    upload(page, "notes.txt", b"these are my notes, not an image", "text/plain")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Could not analyze “notes.txt”.")
    expect(error).to_contain_text("Error code: unsupported_media_type (HTTP 415)")
    expect(page.locator("#result")).to_be_hidden()  # the verdict shown was first.png's, not this file's
    expect(page.locator('.history-item[aria-current="true"]')).to_have_count(0)
    assert urlsplit(page.url).fragment == ""  # a reload would not bring the old report back

    page.locator("#url").fill("http://10.1.2.3/private.png")  # a private address the server refuses
    page.get_by_role("button", name="Analyze URL").click()
    expect(error).to_contain_text("Error code: url_refused (HTTP 400)")


def test_an_open_server_never_asks_for_a_key(browser, open_server):
    asked: list[str] = []
    page = _open(browser, open_server, token=None)
    page.on("response", lambda response: asked.append(response.url) if response.status == 401 else None)
    try:
        expect(page.locator("#history-empty")).to_have_text("No reports yet.")
        analyzed(page, "meadow.png", encode(scene(320, 224, seed=5), "PNG"), "image/png")
        expect(page.locator(".history-item")).to_have_count(1)
        expect(page.locator("#key-dialog")).to_be_hidden()
        assert asked == []
    finally:
        page.context.close()


def test_a_keyed_server_asks_for_the_key_when_a_request_needs_it_and_keeps_it(browser, web_server):
    page = _open(browser, web_server, token=None)
    try:
        dialog = page.locator("#key-dialog")
        # the history's 401 on load opens no dialog: it only says what is missing
        expect(page.locator("#history-empty")).to_contain_text("This server needs an API key")
        expect(dialog).to_be_hidden()

        first = {"name": "first.png", "mimeType": "image/png", "buffer": encode(scene(320, 224, seed=1), "PNG")}
        page.locator("#file").set_input_files(first)
        expect(dialog).to_be_visible()  # the upload got a 401
        expect(dialog).to_contain_text("This server needs an API key")
        expect(page.locator("#key-input")).to_be_focused()

        page.locator("#key-input").fill("pp_000000000000_not-a-real-secret")
        page.keyboard.press("Enter")
        expect(page.locator("#key-reason")).to_contain_text("The saved key was refused")
        expect(dialog).to_be_visible()

        page.locator("#key-input").fill(web_server.token)
        page.get_by_role("button", name="Save key").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#verdict-title")).not_to_be_empty()  # the upload went on with the key
        expect(page.locator("#key-button")).to_have_text("API key: saved")
        assert page.evaluate(f"localStorage.getItem({KEY_STORAGE!r})") == web_server.token

        with page.expect_response(lambda response: "/v1/reports" in response.url) as history:
            page.reload()
        assert history.value.status == 200  # the kept key was sent
        expect(dialog).to_be_hidden()
    finally:
        page.context.close()


def test_cancelling_the_key_prompt_says_what_is_missing(browser, web_server):
    page = _open(browser, web_server, token=None)
    try:
        page.locator("#url").fill("http://127.0.0.1:9/photo.png")
        page.get_by_role("button", name="Analyze URL").click()
        expect(page.locator("#key-dialog")).to_be_visible()
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator("#error")).to_contain_text("An API key is needed to use this server.")
    finally:
        page.context.close()


def _binary_size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MiB"


def _duration(ms: float) -> str:
    return f"{round(ms)} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def test_history_lists_recent_reports_and_opens_them(page, web_server):
    first_id = analyzed(page, "first.png", encode(scene(320, 224, seed=1), "PNG"), "image/png")
    second_id = analyzed(page, "harbour.jpg", c2pa_ai_jpeg(), "image/jpeg")
    expect(page.locator(f'.history-item[data-id="{first_id}"]')).to_be_visible()
    expect(page.locator(f'.history-item[data-id="{second_id}"]')).to_have_attribute("aria-current", "true")
    expect(page.locator(".history-item").first).to_contain_text("AI-generated · 0.99")

    # each item names its file and its size in binary units; the report gives its time in seconds
    stored = _report(web_server, second_id)
    second = page.locator(f'.history-item[data-id="{second_id}"]')
    expect(second.locator(".history-name")).to_have_text("harbour.jpg")
    size = _binary_size(stored["media"]["size_bytes"])
    assert size.endswith(" KiB")
    expect(second.locator(".history-meta")).to_contain_text(f"JPEG 640×448 · {size} ·")
    media = page.locator("#media")
    expect(media.locator("div", has_text="File name").locator("dd")).to_have_text("harbour.jpg")
    expect(media.locator("div", has_text="Size").locator("dd")).to_have_text(size)
    took = _duration(stored["timings"]["total_ms"])
    expect(media.locator("div", has_text="Analysis time").locator("dd")).to_have_text(took)

    page.locator(f'.history-item[data-id="{first_id}"]').click()
    expect(page.locator("#api-path")).to_have_text(f"GET /v1/reports/{first_id}")
    expect(page.locator("#media")).to_contain_text("320 × 224")

    # a report opened in another tab has no image here, and says so; its link reopens it
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("#api-path")).to_have_text(f"GET /v1/reports/{first_id}")
    expect(other.locator("#no-image")).to_be_visible()


def test_heatmap_is_drawn_over_the_image(page, web_server):
    report_id = analyzed(page, "scene.png", encode(scene(700, 300, seed=3), "PNG"), "image/png")
    pixels = _report(web_server, report_id)["analyzers"]["pixels"]
    if pixels["status"] != "processed":
        expect(page.locator('.group[data-analyzer="pixels"] .quiet')).to_contain_text(pixels["reason"][:40])
        pytest.skip(f"the pixel analyzer could not run here, so there is no heatmap to draw: {pixels['reason']}")
    heatmap = pixels["evidence"]["heatmap"]
    cells = page.locator("#heatmap .heat-cell")
    expect(cells).to_have_count(heatmap["rows"] * heatmap["cols"])
    expect(page.locator("#heatmap-summary")).to_contain_text(f"{heatmap['rows']} × {heatmap['cols']} regions")
    page.get_by_label("Show region heatmap").uncheck()
    expect(page.locator("#heatmap")).to_be_hidden()


# Each analyzer's heading, in the order the page shows them.
PLAIN_NAMES = {
    "c2pa": "Content Credentials (C2PA)",
    "watermark": "Invisible watermark",
    "generator_text": "Generator text",
    "metadata": "Camera and file metadata",
    "pixels": "Pixels (AI image model)",
    "deepfake": "Faces (deepfake check)",
    "reverse_search": "Seen before",
    "quality": "Image quality",
    "nsfw": "Nudity",
}


def test_each_analyzer_has_its_own_plainly_named_heading_and_no_command_line_advice(browser, open_server):
    page = _open(browser, open_server, token=None)
    try:
        report_id = analyzed(page, "meadow.png", encode(scene(480, 336, seed=9), "PNG"), "image/png")
        analyzers = _report(open_server, report_id)["analyzers"]
        assert analyzers["reverse_search"]["status"] == "rejected"  # this server has no index
        expected = [title for name, title in PLAIN_NAMES.items() if name in analyzers and name != "reverse_search"]
        expect(page.locator("#evidence h3")).to_have_text(expected)
        expect(page.locator('.group[data-analyzer="nsfw"]')).to_contain_text("No nudity found (score")
        expect(page.locator('.group[data-analyzer="quality"] .signal')).to_be_visible()
        evidence = page.locator("#evidence").inner_text()
        assert "pixelproof index" not in evidence and "`" not in evidence and "PIXELPROOF_" not in evidence, evidence
    finally:
        page.context.close()


def test_an_image_seen_before_lists_its_match(page):
    image = encode(scene(320, 224, seed=21), "PNG")
    analyzed(page, "lake.png", image, "image/png")
    analyzed(page, "lake-again.png", image, "image/png")
    seen = page.locator('.group[data-analyzer="reverse_search"]')
    expect(seen.locator("h3")).to_have_text("Seen before")
    expect(seen.locator(".matches li").first).to_contain_text("Copy of an earlier upload, 320 × 224, first seen")


def test_keyboard_reaches_every_control_and_every_input_has_a_label(page):
    labelled = page.evaluate("[...document.querySelectorAll('input')].every((i) => i.labels.length > 0)")
    assert labelled
    reached = []
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert reached.index("file") < reached.index("url"), reached  # the file picker is a real, focusable input


def test_phone_layout_fits_the_screen(browser, web_server):
    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    page = _open(browser, web_server, token=web_server.token, **phone)
    try:
        analyzed(page, "harbour.jpg", c2pa_ai_jpeg(), "image/jpeg")
        expect(page.locator("#verdict-title")).to_have_text("AI-generated")
        assert page.evaluate("document.documentElement.scrollWidth") <= phone["viewport"]["width"]
        screenshot(page, "web-phone.png")
    finally:
        page.context.close()


# the API documentation


def test_api_docs_render_their_operations_with_the_network_blocked(browser, web_server):
    """The product runs offline: with every request that would leave this machine refused, Swagger
    UI and ReDoc still render every operation, from files this server serves."""
    spec = httpx.get(web_server.base_url + "/openapi.json").json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    off_host: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            off_host.append(route.request.url)
            route.abort()

    context = browser.new_context()
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    context.route("**/*", loopback_only)
    page = context.new_page()
    try:
        page.goto(web_server.base_url + "/docs")
        expect(page.locator(".opblock")).to_have_count(operations)
        expect(page.locator('.opblock-summary-path[data-path="/v1/analyze"]')).to_be_visible()
        assert off_host == []

        page.goto(web_server.base_url + "/redoc")
        expect(page.locator('[data-section-id^="operation/"]')).to_have_count(operations)
        expect(page.get_by_role("heading", name="Analyze an image")).to_be_visible()
        # ReDoc's "API docs by Redocly" logo is all it asks the web for; unreachable, the image hides itself
        assert set(off_host) <= {"https://cdn.redoc.ly/redoc/logo-mini.svg"}
    finally:
        context.close()
