"""`pixelproof batch` on a real local Ray runtime (2 CPUs, started once for the module), checked
against `pixelproof scan --json` on the same files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pixelproof.settings import Settings
from tests.support.cli import pixelproof_cli
from tests.support.images import encode, scene

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
pytestmark = pytest.mark.slow  # starts Ray; one test loads the pixel model

CHEAP = "metadata,generator_text"
LIGHT_RAY = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0"}


@pytest.fixture(scope="module", autouse=True)
def ray_runtime():
    """One light Ray runtime for the module: the command joins it instead of starting its own."""
    saved = {name: os.environ.get(name) for name in LIGHT_RAY}
    os.environ.update(LIGHT_RAY)
    ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024**2)
    yield
    ray.shutdown()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def folder(tmp_path) -> Path:
    """Three small photo-like images and a corrupt JPEG."""
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    (root / "a.jpg").write_bytes(encode(scene(96, 64, seed=1), "JPEG", quality=90))
    (root / "b.png").write_bytes(encode(scene(64, 96, seed=2), "PNG"))
    (root / "sub" / "c.webp").write_bytes(encode(scene(80, 80, seed=3), "WEBP"))
    (root / "corrupt.jpg").write_bytes(encode(scene(96, 64, seed=4), "JPEG")[:300])
    return root


def batch(*args) -> str:
    result = pixelproof_cli("batch", *map(str, args))
    assert result.exit_code == 0, result.output
    return result.stdout


def scan_rows(*args) -> dict[str, dict]:
    result = pixelproof_cli("scan", "--json", "--workers", "1", *map(str, args))
    assert result.exit_code == 0, result.output
    return {row["path"]: row for row in map(json.loads, result.stdout.splitlines())}


def jsonl_rows(out: Path) -> dict[str, dict]:
    return {row["path"]: row for name in sorted(out.glob("jsonl/*/*.jsonl")) for row in map(json.loads, name.read_text().splitlines())}


def parquet_rows(out: Path) -> list[dict]:
    from pixelproof.batch.rows import from_record
    from pixelproof.batch.run import read_records

    return [from_record(record) for record in read_records(str(out / "parquet"))]


def without_report_id(row: dict) -> dict:
    """A report's id is new each time it is made; everything else about a file must match."""
    return {name: value for name, value in row.items() if name not in ("report_id", "external_id")}


def test_records_are_scan_json_rows_and_a_corrupt_file_is_an_error_record(folder, tmp_path):
    out = tmp_path / "out"
    summary = batch(folder, "--out", out, "--json", "--only", CHEAP)
    assert summary.startswith("4 analyzed, 0 already done")
    assert "corrupt_media: 1" in summary

    scanned = scan_rows(folder, "--only", CHEAP)
    written = jsonl_rows(out)
    assert written.keys() == scanned.keys() and len(written) == 4
    for path, row in written.items():
        assert row["external_id"] is None
        assert without_report_id(row) == without_report_id(scanned[path])
    assert written[str(folder / "corrupt.jpg")]["error"]["code"] == "corrupt_media"
    assert sorted(parquet_rows(out), key=lambda row: row["path"]) == [written[path] for path in sorted(written)]


def test_a_rerun_skips_what_is_done_and_redoes_a_changed_file(folder, tmp_path):
    out = tmp_path / "out"
    batch(folder, "--out", out, "--only", CHEAP)
    files = set(out.rglob("*.parquet"))

    assert batch(folder, "--out", out, "--only", CHEAP).startswith("0 analyzed, 4 already done")
    assert set(out.rglob("*.parquet")) == files  # nothing new written

    (folder / "b.png").write_bytes(encode(scene(64, 96, seed=20), "PNG"))
    assert batch(folder, "--out", out, "--only", CHEAP).startswith("1 analyzed, 3 already done")
    b_rows = [row for row in parquet_rows(out) if row["path"] == str(folder / "b.png")]
    assert len({row["sha256"] for row in b_rows}) == 2


def test_a_table_input_carries_external_ids_and_a_missing_path_is_a_not_found_record(folder, tmp_path):
    table = tmp_path / "inputs.csv"
    table.write_text(f"path,external_id\n{folder / 'a.jpg'},listing-1\n{folder / 'gone.jpg'},listing-2\n")
    out = tmp_path / "out"
    result = pixelproof_cli("batch", str(table), "--out", str(out), "--only", CHEAP)
    assert result.exit_code == 1, result.output  # as scan: a path that is not there, after the rest
    rows = {row["external_id"]: row for row in parquet_rows(out)}
    assert rows["listing-1"]["path"] == str(folder / "a.jpg") and rows["listing-1"]["error"] is None
    assert rows["listing-2"]["error"]["code"] == "not_found"
    assert rows["listing-2"]["sha256"] is None  # so a later run tries it again


def test_a_url_list_is_fetched_under_the_server_rules(tmp_path):
    listing = tmp_path / "urls.txt"
    listing.write_text("# a loopback address: refused before any connection\nhttp://127.0.0.1:9/cat.jpg\n")
    out = tmp_path / "out"
    assert "url_refused: 1" in batch(listing, "--out", out, "--only", CHEAP)
    (row,) = parquet_rows(out)
    assert row["path"] == "http://127.0.0.1:9/cat.jpg" and row["error"]["code"] == "url_refused"


def test_the_pixel_model_gives_the_scores_scan_gives(tmp_path, fetched_models):
    if fetched_models.cache_dir != Settings().cache_dir:
        pytest.skip("the models were fetched into a test cache, which the Ray workers do not read")
    images = tmp_path / "pixels"
    images.mkdir()
    for seed in (5, 6):
        (images / f"p{seed}.jpg").write_bytes(encode(scene(256, 192, seed=seed), "JPEG", quality=92))
    out = tmp_path / "out"
    batch(images, "--out", out, "--json", "--only", "pixels")
    scanned = scan_rows(images, "--only", "pixels")
    written = jsonl_rows(out)
    assert written.keys() == scanned.keys() and len(written) == 2
    for path, row in written.items():
        assert row["error"] is None and row["not_processed"] == {} and row["ai_generated"] is not None
        assert row["ai_generated"] == pytest.approx(scanned[path]["ai_generated"], abs=1e-6)
        assert row["label"] == scanned[path]["label"]


def test_without_the_extra_the_command_says_what_to_install(tmp_path):
    code = "import sys; sys.modules['ray'] = None; from pixelproof.cli import main; main()"
    argv = [sys.executable, "-c", code, "batch", str(tmp_path), "--out", str(tmp_path / "out")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 4
    assert "pip install 'pixelproof[ray]'" in result.stderr
