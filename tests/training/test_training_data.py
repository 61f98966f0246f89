"""The extra-data staging script and the manifest loader, on a throwaway git repository."""

import csv
import hashlib
import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.data import fetch_extra
from training.data.manifests import load_rows

SOURCE_COLUMNS = "source_kind,repo_or_package,commit_or_version,path_glob,label,group,count,approx_mib,note"


def png(width: int, height: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def make_repo(root: Path, files: dict[str, bytes]) -> str:
    """A git repository at <root>/owner/repo with `files` committed; returns the commit."""
    work = root / "owner" / "repo"
    for name, data in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "images"], check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()


def make_shared(folder: Path, sources: list[str], reserved: str, shared_rows: list[dict]) -> None:
    folder.mkdir(parents=True)
    (folder / "extra_sources.csv").write_text("\n".join([SOURCE_COLUMNS, *sources]) + "\n")
    (folder / "reserved_sources.txt").write_text(reserved)
    write_csv(folder / "manifest.csv", shared_rows, fetch_extra.MANIFEST_COLUMNS)


def shared_row(**values: str) -> dict:
    return {column: values.get(column, "") for column in fetch_extra.MANIFEST_COLUMNS}


def run(tmp_path: Path, shared: Path) -> list[dict]:
    out = tmp_path / "extra"
    fetch_extra.main(["--shared", str(shared), "--mirror-root", str(tmp_path / "mirror"), "--out", str(out)])
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    "row, reserved",
    [
        ("github,Owner/Reserved,abc,*,real,g,1,1,", "owner/reserved\n"),
        ("deb,some-wallpapers,1.0-1,/usr/*,real,g,1,1,", "owner/other\nsome-wallpapers\n"),
    ],
)
def test_a_reserved_source_is_refused_before_anything_is_read(tmp_path, row, reserved):
    make_shared(tmp_path / "shared", [row], reserved, [])
    with pytest.raises(SystemExit, match="reserved evaluation source"):
        run(tmp_path, tmp_path / "shared")
    assert not (tmp_path / "extra").exists()


def test_no_reserved_list_means_no_fetch(tmp_path):
    make_shared(tmp_path / "shared", ["github,owner/repo,abc,*,real,g,1,1,"], "", [])
    (tmp_path / "shared" / "reserved_sources.txt").unlink()
    with pytest.raises(SystemExit, match="refusing"):
        run(tmp_path, tmp_path / "shared")


def test_stages_originals_and_drops_duplicates_small_broken_and_shared(tmp_path):
    photo, in_shared = png(96, 80, seed=1), png(90, 90, seed=2)
    commit = make_repo(
        tmp_path / "mirror",
        {
            "img/photo.png": photo,
            "img/photo2.png": photo,  # later in tree order, so the duplicate
            "img/tiny.png": png(32, 200, seed=3),
            "img/broken.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
            "img/readme.txt": b"not an image",
            "img/already.png": in_shared,
            "img/deeper/ignored.png": png(100, 100, seed=4),
        },
    )
    shared = tmp_path / "shared"
    make_shared(
        shared,
        [f"github,owner/repo,{commit},img/*,real,test-photos,6,1,"],
        "someone/else\n",
        [
            shared_row(
                path="real/test-photos/x.png", label="real", group="test-photos", generator="g",
                source=f"github:owner/repo@{commit}:img/other.png", license="test licence",
                original_sha256=hashlib.sha256(in_shared).hexdigest(), sha256="0" * 64, content_type="photo",
            )
        ],
    )  # fmt: skip

    rows = run(tmp_path, shared)

    assert [(r["path"], r["label"], r["group"]) for r in rows] == [
        ("test-photos/img__photo.png", "real", "test-photos")
    ]
    row = rows[0]
    stored = (tmp_path / "extra" / row["path"]).read_bytes()
    assert stored == photo
    assert row["sha256"] == row["original_sha256"] == hashlib.sha256(photo).hexdigest()
    assert row["source"] == f"github:owner/repo@{commit}:img/photo.png"
    assert (row["width"], row["height"], row["format"], row["transform"]) == ("96", "80", "PNG", "original")
    assert (row["license"], row["content_type"]) == ("test licence", "photo")  # the shared wording


def test_a_rerun_gives_the_same_manifest_and_removes_stale_files(tmp_path):
    commit = make_repo(tmp_path / "mirror", {"a.png": png(70, 70, seed=5)})
    shared = tmp_path / "shared"
    make_shared(
        shared,
        [f"github,owner/repo,{commit},*.png,real,test-photos,1,1,"],
        "",
        [shared_row(path="p.png", label="real", group="test-photos", source="github:owner/repo@x:p.png",
                    license="l", content_type="photo", original_sha256="1" * 64, sha256="1" * 64)],
    )  # fmt: skip
    run(tmp_path, shared)
    first = (tmp_path / "extra" / "manifest.csv").read_bytes()
    stale = tmp_path / "extra" / "test-photos" / "gone.png"
    stale.write_bytes(b"left over")

    run(tmp_path, shared)

    assert (tmp_path / "extra" / "manifest.csv").read_bytes() == first
    assert not stale.exists()


def test_load_rows_joins_both_manifests_and_skips_missing_files(tmp_path):
    shared, extra = tmp_path / "shared", tmp_path / "extra"
    for folder, name in ((shared, "ai/g/a.png"), (extra, "plasma/b.png")):
        (folder / name).parent.mkdir(parents=True)
        (folder / name).write_bytes(png(8, 8, seed=6))
    commit = "f" * 40
    write_csv(
        shared / "manifest.csv",
        [
            shared_row(path="ai/g/a.png", label="ai", group="nano-banana-pro", generator="x", sha256="a" * 64,
                       source=f"github:songguoxs/gpt4o-image-prompts@{commit}:images/12-2.jpeg"),
            shared_row(path="ai/g/missing.png", label="ai", group="g", sha256="c" * 64,
                       source=f"github:owner/repo@{commit}:missing.png"),
        ],
        fetch_extra.MANIFEST_COLUMNS,
    )  # fmt: skip
    write_csv(
        extra / "manifest.csv",
        [shared_row(path="plasma/b.png", label="real", group="deb-plasma", generator="w", sha256="b" * 64,
                    source="deb:plasma-workspace-wallpapers_4:5.27.5-2:/usr/share/wallpapers/Kay/contents/images/1.png")],
        fetch_extra.MANIFEST_COLUMNS,
    )  # fmt: skip

    rows = load_rows(shared, extra)

    assert [(r.path, r.manifest) for r in rows] == [
        (shared / "ai/g/a.png", "shared"),
        (extra / "plasma/b.png", "extra"),
    ]
    ai, real = rows
    assert (ai.source_group, ai.cluster, ai.generator_family) == (
        "github:songguoxs/gpt4o-image-prompts", "gallery-case:12", "nano-banana-pro"
    )  # fmt: skip
    assert (real.source_group, real.cluster, real.generator_family) == (
        "deb:plasma-workspace-wallpapers", "plasma-wallpaper:Kay", None
    )  # fmt: skip
