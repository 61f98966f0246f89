"""`pixelproof scan`, run for real as a subprocess on folders of generated images."""

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.support.cli import on_a_terminal, pixelproof_cli


pytestmark = pytest.mark.slow  # each test runs `pixelproof scan` as its own process

CLI = Path(sys.executable).with_name("pixelproof")
ROW_FIELDS = {"path", "sha256", "report_id", "label", "ai_generated", "generator", "evidence", "error"}


def _image(fmt: str, color=(200, 40, 90), make: str | None = None) -> bytes:
    image = Image.new("RGB", (48, 32), color)
    exif = image.getexif()
    if make:
        exif[271] = make
    buf = io.BytesIO()
    image.save(buf, fmt, exif=exif)
    return buf.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Images (one named like text), a corrupt JPEG, and files that are not images."""
    root = tmp_path_factory.mktemp("photos")
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.jpg").write_bytes(_image("JPEG", make="Canon"))
    (root / "corrupt.jpg").write_bytes(_image("JPEG")[:200])
    (root / "disguised.txt").write_bytes(_image("PNG"))
    (root / "notes.jpg").write_text("a text file with an image's name\n")
    (root / "readme.md").write_text("# not an image\n")
    (root / "sub" / "b.png").write_bytes(_image("PNG", color=(1, 2, 3)))
    (root / "sub" / "deeper" / "c.webp").write_bytes(_image("WEBP"))
    return root


IMAGES_IN_WALK_ORDER = ["a.jpg", "corrupt.jpg", "disguised.txt", "sub/b.png", "sub/deeper/c.webp"]


def scan(*args, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    assert CLI.exists(), f"{CLI} is missing: install the package into this environment"
    command = [str(CLI), "scan", *map(str, args)]
    env = {**os.environ, "COLUMNS": "200", **(env or {})}  # wide: Rich must wrap no message a test reads
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def jsonl(stdout: str) -> list[dict]:
    rows = [json.loads(line) for line in stdout.splitlines()]
    for row in rows:
        assert ROW_FIELDS <= row.keys()
    return rows


def test_a_folder_is_scanned_recursively_picking_images_by_their_bytes(folder):
    result = scan(".", "--json", "--only", "metadata", "--workers", "2", cwd=folder)
    assert result.returncode == 0, result.stderr
    rows = jsonl(result.stdout)
    assert [row["path"] for row in rows] == IMAGES_IN_WALK_ORDER
    by_path = {row["path"]: row for row in rows}

    photo = by_path["a.jpg"]
    assert photo["error"] is None
    assert photo["sha256"] == hashlib.sha256((folder / "a.jpg").read_bytes()).hexdigest()
    assert photo["label"] in ("ai", "human", "uncertain") and photo["report_id"]
    assert photo["evidence"]["metadata"]["camera_make"] == "Canon"
    assert photo["generator"]["family"]

    corrupt = by_path["corrupt.jpg"]
    assert corrupt["error"]["code"] == "corrupt_media" and corrupt["error"]["message"]
    assert corrupt["label"] is None and corrupt["evidence"] == {}


def test_a_file_named_explicitly_that_is_not_an_image_gets_an_error_row(folder):
    result = scan(folder / "notes.jpg", folder / "a.jpg", "--json", "--only", "metadata", "--workers", "1")
    assert result.returncode == 0, result.stderr
    notes, photo = jsonl(result.stdout)
    assert notes["error"]["code"] == "unsupported_media_type"
    assert photo["error"] is None


def test_a_file_over_the_upload_limit_is_a_too_large_row(folder):
    limit = {"PIXELPROOF_MAX_UPLOAD_BYTES": "100"}
    result = scan(folder / "a.jpg", "--json", "--only", "metadata", env=limit)
    assert result.returncode == 0, result.stderr
    [row] = jsonl(result.stdout)
    assert row["error"]["code"] == "too_large" and "100" in row["error"]["message"]


def test_globs_are_expanded_by_the_command_itself(folder):
    result = scan("**/*.png", "*.jpg", "--json", "--only", "metadata", "--workers", "1", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert [row["path"] for row in jsonl(result.stdout)] == ["sub/b.png", "a.jpg", "corrupt.jpg"]  # not notes.jpg


def test_csv_has_a_header_and_one_flat_row_per_image(folder):
    result = scan(".", "--csv", "--only", "metadata", cwd=folder)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["path"] for row in rows] == IMAGES_IN_WALK_ORDER
    assert {"path", "label", "ai_generated", "generator", "error_code", "error_message"} <= rows[0].keys()
    corrupt = rows[IMAGES_IN_WALK_ORDER.index("corrupt.jpg")]
    assert corrupt["error_code"] == "corrupt_media" and corrupt["label"] == ""
    assert rows[0]["generator"] == "unknown" and rows[0]["error_code"] == ""


def test_output_file_and_full_reports(folder, tmp_path):
    target = tmp_path / "reports.jsonl"
    result = scan(folder / "sub", "--full", "-o", target)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    reports = [json.loads(line) for line in target.read_text().splitlines()]
    assert [Path(r["path"]).name for r in reports] == ["b.png", "c.webp"]
    assert all({"verdict", "analyzers", "media", "timings", "id"} <= r.keys() for r in reports)
    assert reports[0]["media"]["format"] == "png"


def test_the_default_output_is_a_table(folder):
    result = scan(".", "--only", "metadata", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "a.jpg" in result.stdout and "corrupt_media" in result.stdout
    assert "notes.jpg" not in result.stdout
    assert "1 error" in result.stdout and "1 errors" not in result.stdout


def test_a_missing_path_is_an_error_row_in_its_place_and_exit_1(folder):
    result = scan("gone.jpg", "a.jpg", "nothing-matches-*.png", "sub", "--json", "--only", "metadata", cwd=folder)
    assert result.returncode == 1, result.stderr
    rows = jsonl(result.stdout)
    assert [row["path"] for row in rows] == ["gone.jpg", "a.jpg", "nothing-matches-*.png", "sub/b.png", "sub/deeper/c.webp"]
    gone, photo, pattern = rows[:3]
    assert gone["error"] == {"code": "not_found", "message": "gone.jpg does not exist"}
    assert pattern["error"] == {"code": "not_found", "message": "no file matches the pattern nothing-matches-*.png"}
    assert photo["error"] is None and all(row["error"] is None for row in rows[3:])


def test_the_table_counts_errors_in_plural(folder):
    result = scan("gone.jpg", "corrupt.jpg", "a.jpg", "--only", "metadata", cwd=folder)
    assert result.returncode == 1, result.stderr
    assert "not_found: gone.jpg does not exist" in result.stdout
    assert "2 errors" in result.stdout


@pytest.mark.parametrize("fmt", [["--json"], ["--csv"], []], ids=["json", "csv", "table"])
def test_a_folder_without_images_says_so_and_exits_3(tmp_path, fmt):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.md").write_text("not an image\n")
    result = scan(tmp_path / "empty", tmp_path / "*.md", *fmt)
    assert result.returncode == 3
    assert result.stdout == ""
    assert "no images found" in result.stderr


def test_a_corrupt_png_is_named_in_plain_words(tmp_path):
    png = _image("PNG")
    (tmp_path / "broken.png").write_bytes(png[:16] + b"\0" * 40)  # the signature, then garbage
    result = scan(tmp_path / "broken.png", "--json", "--only", "metadata")
    assert result.returncode == 0, result.stderr
    [row] = jsonl(result.stdout)
    assert row["error"] == {"code": "corrupt_media", "message": "not a readable PNG image: the file is truncated or corrupt"}


@pytest.mark.parametrize(
    "args",
    [
        [],
        [".", "--only", "no-such-analyzer"],
        [".", "--excluding", "metadata", "--only", "metadata"],
        [".", "--json", "--csv"],
        [".", "--workers", "0"],
    ],
    ids=["no-path", "unknown-analyzer", "nothing-to-run", "json-and-csv", "no-workers"],
)
def test_usage_errors_exit_2(folder, args, monkeypatch):
    """In-process (same typer app as the console script), since each case stops before any work."""
    monkeypatch.chdir(folder)
    result = pixelproof_cli("scan", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Usage" in result.stderr


def test_two_hundred_images_with_two_workers_keep_their_order(tmp_path):
    names = [f"img{i:03d}.png" for i in range(200)]
    for i, name in enumerate(names):
        Image.new("RGB", (16, 16), (i, 255 - i, 7)).save(tmp_path / name)
    result = scan(tmp_path, "--json", "--workers", "2", "--only", "metadata")
    assert result.returncode == 0, result.stderr
    rows = jsonl(result.stdout)
    assert [Path(row["path"]).name for row in rows] == names
    assert all(row["error"] is None for row in rows)
    assert len({row["sha256"] for row in rows}) == 200


def test_the_progress_bar_goes_to_a_terminal_stderr_never_to_stdout(folder):
    command = [str(CLI), "scan", ".", "--json", "--only", "metadata", "--workers", "1"]
    returncode, stdout, screen = on_a_terminal(command, cwd=folder)
    assert returncode == 0
    assert [row["path"] for row in jsonl(stdout)] == IMAGES_IN_WALK_ORDER
    assert b"Scanning" in screen and b"5/5" in screen
    assert b"images/s" in screen and b"ETA" in screen


def test_library_chatter_stays_off_the_terminal(fetched_models, tmp_path):
    """LiteRT announced its XNNPACK delegate once per worker, straight on file descriptor 2."""
    for i in range(2):
        Image.new("RGB", (256, 256), (30 * i, 90, 160)).save(tmp_path / f"{i}.png")
    env = {"PIXELPROOF_CACHE_DIR": str(fetched_models.cache_dir)}
    command = [str(CLI), "scan", str(tmp_path), "--json", "--only", "deepfake", "--workers", "2"]
    returncode, stdout, screen = on_a_terminal(command, env=env)
    assert returncode == 0
    assert [row["error"] for row in jsonl(stdout)] == [None, None]
    assert b"XNNPACK" not in screen and b"INFO" not in screen
