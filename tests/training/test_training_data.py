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
from training.data.manifests import cluster_of, load_rows, source_group
from training.data.reserved_screen import ReservedScreen, parse_verdicts
from training.locations import SHARED_DATA

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


# Stands in for shared/tools/reserved_check.py (which needs the reserved hash list): same command
# line and output format; it flags files named *near-copy* and cannot read *unreadable*, and
# appends every path it was asked about to checked.log beside itself.
STUB_CHECK = """
import sys
from pathlib import Path
paths = sys.argv[1:]
with (Path(__file__).parent / "checked.log").open("a") as log:
    log.writelines(p + "\\n" for p in paths)
flagged = [p for p in paths if "near-copy" in p]
for p in flagged:
    print(f"RESERVED-NEAR-COPY\\t{p}\\tdistance 12")
for p in paths:
    if "unreadable" in p:
        print(f"unreadable\\t{p}\\tOSError: truncated", file=sys.stderr)
sys.exit(1 if flagged else 0)
"""


def stub_check(tmp_path: Path) -> Path:
    tool = tmp_path / "tools" / "reserved_check.py"
    if not tool.is_file():
        tool.parent.mkdir(parents=True)
        tool.write_text(STUB_CHECK)
    return tool


def shared_describing_test_photos(tmp_path: Path, source_row: str) -> Path:
    """A shared folder with one source row and a shared image that gives `test-photos` its wording."""
    shared = tmp_path / "shared"
    make_shared(
        shared,
        [source_row],
        "",
        [shared_row(path="p.png", label="real", group="test-photos", source="github:owner/repo@x:p.png",
                    license="l", content_type="photo", original_sha256="1" * 64, sha256="1" * 64)],
    )  # fmt: skip
    return shared


def run(tmp_path: Path, shared: Path, *extra_args: str) -> list[dict]:
    out = tmp_path / "extra"
    fetch_extra.main(
        ["--shared", str(shared), "--mirror-root", str(tmp_path / "mirror"), "--out", str(out),
         "--reserved-check", str(stub_check(tmp_path)), *extra_args]
    )  # fmt: skip
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
    shared = shared_describing_test_photos(tmp_path, f"github,owner/repo,{commit},*.png,real,test-photos,1,1,")
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


@pytest.mark.parametrize(
    "pattern, path, matches",
    [
        ("input/style/*[!d].jpg", "input/style/picasso.jpg", True),
        ("input/style/*[!d].jpg", "input/style/picasso_cropped.jpg", False),
        ("input/style/*[!d].jpg", "input/style/sub/picasso.jpg", False),
        ("examples/style/tar2[0-24-9].png", "examples/style/tar22.png", True),
        ("examples/style/tar2[0-24-9].png", "examples/style/tar23.png", False),
        ("ffhq/0000[1-9].png", "ffhq/00000.png", False),
        ("a/[!x]", "a//", False),  # a negated class still stays inside one folder
        ("a/*.png;b/**/*.jpg", "b/z.jpg", True),
        ("a/*.png;b/**/*.jpg", "b/x/y/z.jpg", True),
        ("a/*.png;b/**/*.jpg", "a/q/z.png", False),
        ("a/*.png;b/**/*.jpg", "a/z.jpg", False),
        ("xmp depth map.jpg;heic-*.HEIC", "heic-x.HEIC", True),
        ("a/[unclosed.png", "a/[unclosed.png", True),
    ],
)
def test_path_globs_take_classes_and_several_patterns(pattern, path, matches):
    assert bool(fetch_extra.glob_regex(pattern).match(path)) is matches


def test_reserved_check_output_names_the_files_to_drop():
    verdicts = parse_verdicts(
        "RESERVED-NEAR-COPY\t/x/a b.png\tdistance 6\n",
        "low-quality-hash\t/x/flat.png\tquality 0\nunreadable\t/x/c.heic\tOSError: no\n3 checked, 1 near-copies\n",
    )
    assert verdicts == {
        Path("/x/a b.png"): "near-copy of a reserved image (PDQ distance 6)",
        Path("/x/c.heic"): "unreadable by the reserved check",
    }


def test_every_kept_file_passes_the_reserved_check_once(tmp_path, capsys):
    commit = make_repo(
        tmp_path / "mirror",
        {"a/keep.png": png(70, 70, seed=7), "a/near-copy.png": png(70, 70, seed=8), "b/no.png": png(70, 70, seed=9)},
    )
    source_row = f"github,owner/repo,{commit},a/keep.png;a/near-*.png,real,test-photos,2,1,"
    shared = shared_describing_test_photos(tmp_path, source_row)

    rows = run(tmp_path, shared, "--record", str(tmp_path / "record"))

    assert [r["path"] for r in rows] == ["test-photos/a__keep.png"]
    assert not (tmp_path / "extra" / "test-photos" / "a__near-copy.png").exists()
    printed = capsys.readouterr().out
    assert "matched 2, kept 1 (refused by the reserved check 1)" in printed
    assert "refused a/near-copy.png: near-copy of a reserved image (PDQ distance 12)" in printed
    log = tmp_path / "tools" / "checked.log"
    assert [Path(line).name for line in log.read_text().splitlines()] == ["a__keep.png", "a__near-copy.png"]
    with (tmp_path / "record" / "extra_images.csv").open(newline="") as handle:
        assert list(csv.DictReader(handle)) == [
            {"source": f"github:owner/repo@{commit}:a/keep.png", "label": "real", "group": "test-photos",
             "sha256": rows[0]["sha256"]}
        ]  # fmt: skip
    summary = (tmp_path / "record" / "extra_sources.md").read_text()
    assert f"| 1 | github:owner/repo `a/keep.png;a/near-*.png` | {commit} | real | test-photos | 2 | 1 |" in summary

    log.unlink()
    run(tmp_path, shared)  # the kept file passed before: only the refused one is checked again
    assert [Path(line).name for line in log.read_text().splitlines()] == ["a__near-copy.png"]


def test_no_reserved_check_tool_means_no_staging(tmp_path):
    commit = make_repo(tmp_path / "mirror", {"a.png": png(70, 70, seed=5)})
    make_shared(tmp_path / "shared", [f"github,owner/repo,{commit},*.png,real,g,1,1,"], "", [])
    with pytest.raises(SystemExit, match="reserved check tool not found"):
        fetch_extra.main(["--shared", str(tmp_path / "shared"), "--mirror-root", str(tmp_path / "mirror"),
                          "--out", str(tmp_path / "extra")])  # fmt: skip


@pytest.mark.parametrize(
    "source, cluster",
    [
        ("github:dcsan/imagen@c:output/renders/cat-hat-123/dmin-3.png", "imagen-prompt:cat-hat-123/dmin"),
        ("github:yangxy/GPEN@c:examples/ffhq-10/00003.png", "gpen-face:00003"),
        ("github:yangxy/GPEN@c:examples/outs-inpainting/00003_GPEN.jpg", "gpen-face:00003"),
        ("github:yangxy/GPEN@c:examples/outs-colorization/106000_gray_GPEN.jpg", "gpen-face:106000"),
        ("github:luanfujun/deep-photo-styletransfer@c:examples/final_results/best7_t_1000.png", "photo-style-pair:7"),
        ("github:luanfujun/deep-photo-styletransfer@c:examples/style/tar7.png", "photo-style-pair:7"),
        ("github:ckkelvinchan/RealBasicVSR@c:data/demo_000/00000012.png", "video-clip:demo_000"),
        ("github:google/dreambooth@c:dataset/dog6/02.jpg", "dreambooth-subject:dog6"),
        ("github:OCR-D/assets@c:data/column-samples/data/OCR-D-IMG/x.jpg", "ocrd-workspace:column-samples"),
    ],
)
def test_new_sources_keep_near_duplicates_together(source, cluster):
    assert cluster_of(source) == cluster


needs_shared = pytest.mark.skipif(
    not (SHARED_DATA / "extra_sources.csv").is_file(), reason=f"no shared data at {SHARED_DATA}"
)


@needs_shared
def test_every_extra_source_row_is_described():
    """A row without a licence or content type stops a long staging run half-way: catch it here."""
    with (SHARED_DATA / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        shared_groups = {(source_group(r["source"]), r["group"]) for r in csv.DictReader(handle)}
    undescribed = [
        row.title
        for row in fetch_extra.read_sources(SHARED_DATA / "extra_sources.csv")
        if row.name != fetch_extra.GALLERY_REPO
        and (row.name, row.group) not in fetch_extra.PROFILES
        and (f"{row.kind}:{row.name}", row.group) not in shared_groups
    ]
    assert undescribed == []


@needs_shared
def test_the_shared_reserved_check_clears_a_fresh_picture(tmp_path):
    picture = tmp_path / "noise.png"
    picture.write_bytes(png(128, 128, seed=11))
    screen = ReservedScreen(SHARED_DATA.parent / "tools" / "reserved_check.py", tmp_path / "passed.txt")
    assert screen.verdicts({picture: "d" * 64}) == {}
