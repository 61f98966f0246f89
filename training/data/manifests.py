"""One list of labelled development images from the shared manifest and the extra manifest.

The trainer needs three things per image beyond its label: the file, the *source* to hold out
in leave-one-source-out validation (a repository or a Debian package, never a folder, because
one repository can feed several groups), and a near-duplicate cluster so that resolution
variants or multi-image gallery cases never straddle a train/validation split.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..locations import EXTRA_DIR, SHARED_DATA

log = logging.getLogger(__name__)

# Near-duplicate clusters: (pattern on `kind:name:path`, cluster prefix); group 1 names the cluster.
_CLUSTERS = [
    # one gallery case: its images share a prompt, often a scene
    (re.compile(r"^github:songguoxs/gpt4o-image-prompts:images/(\d+)"), "gallery-case"),
    # one KDE wallpaper in all its resolutions, light and dark
    (re.compile(r"^deb:plasma-workspace-wallpapers:/usr/share/wallpapers/([^/]+)/"), "plasma-wallpaper"),
    # one GNOME wallpaper, light (-l) and dark (-d)
    (re.compile(r"^deb:gnome-backgrounds:(/usr/share/backgrounds/gnome/.+?)(?:-[ld])?\.\w+$"), "gnome-wallpaper"),
    # one MATE wallpaper in several resolutions (name_WxH)
    (re.compile(r"^deb:mate-backgrounds:(/usr/share/backgrounds/mate/.+?)(?:_\d+x\d+)?\.\w+$"), "mate-wallpaper"),
    # one camera sample in several formats or numbered takes (Nikon D1X.jpg/.webp, Issue 600 (1)/(2))
    (re.compile(r"^github:drewnoakes/metadata-extractor-images:\w+/(.+?)(?: \(\d+\))?\.\w+$"), "camera-sample"),
    # one pose dataset: consecutive video frames and left/right views
    (re.compile(r"^github:open-mmlab/mmpose:tests/data/([^/]+)/"), "mmpose-dataset"),
    # one prompt rendered several times by one model (folder per prompt, file prefix per model)
    (re.compile(r"^github:dcsan/imagen:output/renders/([^/]+/[a-z0-9]+)-"), "imagen-prompt"),
    # one face as a real restoration input and as its inpainted or colourised output (real vs ai)
    (re.compile(r"^github:yangxy/GPEN:examples/(?:ffhq-10|grays|outs-inpainting|outs-colorization)/(\d+)"),
     "gpen-face"),
    # one photo style transfer: content photo inN, style photo tarN and the result bestN
    (re.compile(r"^github:luanfujun/deep-photo-styletransfer:examples/\w+/(?:in|tar|best)(\d+)"), "photo-style-pair"),
    # consecutive frames of one video clip
    (re.compile(r"^github:ckkelvinchan/RealBasicVSR:data/([^/]+)/"), "video-clip"),
    # one DreamBooth subject photographed several times
    (re.compile(r"^github:google/dreambooth:dataset/([^/]+)/"), "dreambooth-subject"),
    # one OCR-D workspace: consecutive pages of one book
    (re.compile(r"^github:OCR-D/assets:data/([^/]+)/"), "ocrd-workspace"),
]


@dataclass(frozen=True)
class ImageRow:
    path: Path
    label: str  # "ai" or "real"
    group: str  # generator family (ai) or real source folder
    generator_family: str | None  # the group for ai rows; None for real ones
    generator: str
    source_group: str  # e.g. "github:songguoxs/gpt4o-image-prompts", "deb:plasma-workspace-wallpapers"
    cluster: str  # rows sharing a cluster are near-duplicates: keep them on one side of a split
    sha256: str
    manifest: str  # "shared" or "extra"


@dataclass(frozen=True)
class Source:
    kind: str  # "github" or "deb"
    name: str  # owner/repo or package
    pin: str  # commit or version (a Debian version may carry an epoch: "4:5.27.5-2")
    path: str

    @classmethod
    def parse(cls, source: str) -> "Source":
        """`github:owner/repo@commit:path` or `deb:package_version:/path`."""
        kind, _, rest = source.partition(":")
        if kind == "github":
            where, _, path = rest.partition(":")
            name, _, pin = where.partition("@")
        elif kind == "deb":
            where, _, path = rest.partition(":/")
            name, _, pin = where.partition("_")
            path = "/" + path
        else:
            raise ValueError(f"unknown source kind in {source!r}")
        return cls(kind, name, pin, path)

    @property
    def unpinned(self) -> str:
        """The same file at any commit or version."""
        return f"{self.kind}:{self.name}:{self.path}"


def source_group(source: str) -> str:
    """`github:owner/repo@commit:path` -> `github:owner/repo`; `deb:pkg_ver:/path` -> `deb:pkg`."""
    parsed = Source.parse(source)
    return f"{parsed.kind}:{parsed.name}"


def cluster_of(source: str) -> str:
    """Near-duplicate key for a split; a source outside every known cluster is its own."""
    unpinned = Source.parse(source).unpinned
    for pattern, prefix in _CLUSTERS:
        match = pattern.match(unpinned)
        if match:
            return f"{prefix}:{match.group(1)}"
    return unpinned


def read_manifest(manifest: Path, name: str) -> list[ImageRow]:
    """Rows of one manifest whose file exists; missing files are logged and skipped."""
    rows, missing = [], 0
    with manifest.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            path = manifest.parent / record["path"]
            if not path.is_file():
                missing += 1
                continue
            rows.append(
                ImageRow(
                    path=path,
                    label=record["label"],
                    group=record["group"],
                    generator_family=record["group"] if record["label"] == "ai" else None,
                    generator=record["generator"],
                    source_group=source_group(record["source"]),
                    cluster=cluster_of(record["source"]),
                    sha256=record["sha256"],
                    manifest=name,
                )
            )
    if missing:
        log.warning("%s: %d listed files are missing and were skipped", manifest, missing)
    return rows


def load_rows(shared_dir: Path = SHARED_DATA, extra_dir: Path = EXTRA_DIR) -> list[ImageRow]:
    """Shared rows, then extra rows; an absent manifest contributes nothing."""
    rows: list[ImageRow] = []
    for name, folder in (("shared", shared_dir), ("extra", extra_dir)):
        manifest = folder / "manifest.csv"
        if manifest.is_file():
            rows.extend(read_manifest(manifest, name))
        else:
            log.warning("no %s manifest at %s", name, manifest)
    return rows
