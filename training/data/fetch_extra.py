"""Stage the extra development images of shared/data/extra_sources.csv under EXTRA_DIR.

Why a script: the extra images may not be redistributed, so every developer rebuilds the same
set from pinned sources (a GitHub commit, a Debian package version) and gets the same bytes,
the same skips and the same manifest.

Sources
  * GitHub rows are read from an already fetched git directory, never cloned here. Get the
    snapshot with the search tool's `fetch` (`github:owner/repo`, which leaves a bare git dir in
    /work/.mirror/owner+repo/repo) or with any clone that contains the named commit, and point
    `--mirror-root` at the folder holding it (`<root>/owner+repo/repo`, `<root>/owner/repo.git`
    and `<root>/owner/repo` are recognised). Files come from `git cat-file` at the row's commit;
    if the snapshot lacks that commit, its HEAD is used and the row says so. Blobs that a
    snapshot left out (large files) are counted as missing.
  * Debian rows are downloaded with `apt-get download PACKAGE=VERSION` into `--deb-cache`
    (another available version is taken, and reported, when the pinned one is gone) and read
    with `dpkg-deb --fsys-tarfile`, so nothing is unpacked beside the kept files.

Reserved evaluation sources (shared/data/reserved_sources.txt) are refused before anything is
read, and the per-row skips named in extra_sources.csv notes (QR codes, near-duplicates of
reserved images, masks, synthetic renders) are listed in EXCLUDED below; rows vetted later
name exactly the files to take, several globs separated by `;`. Every file that would be kept
then goes through shared/tools/reserved_check.py (a PDQ near-copy check against the reserved
images, reserved_screen.py) and is dropped, with the reason, when the check flags it.

Kept files are byte-identical originals at <out>/<group>/<flattened path>. Dropped: files that
are byte-identical to an original already in shared/data/manifest.csv (the shared copy or crop
is used instead), exact duplicates within the extras, undecodable files and images under 64 px
on a side. Re-running rewrites the manifest, reuses files already in place and deletes files
under <out> that are no longer listed.

EXTRA_DIR is $PIXELPROOF_DEVDATA/extra (training/locations.py; ../devdata/extra by default).

    python -m training.data.fetch_extra [--mirror-root /work/.mirror] [--record training/data]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import subprocess
import tarfile
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from PIL import Image, UnidentifiedImageError
from pillow_heif import register_heif_opener

from ..locations import EXTRA_DIR, SHARED_DATA
from .manifests import Source, cluster_of, source_group
from .reserved_screen import ReservedScreen

register_heif_opener()

MIN_SIDE = 64
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".tif", ".tiff", ".bmp", ".gif"}
MANIFEST_COLUMNS = [
    "path", "label", "group", "generator", "source", "license", "original_sha256", "sha256",
    "transform", "crop_box", "width", "height", "format", "metadata_kinds", "content_type",
    "label_confidence", "note",
]  # fmt: skip

_RESERVED_NEAR_DUPLICATE = "near-duplicate of a reserved evaluation image"
# Skips named in the `note` column of extra_sources.csv: {repo or package: {reason: [globs]}}.
EXCLUDED: dict[str, dict[str, list[str]]] = {
    "songguoxs/gpt4o-image-prompts": {
        "QR code": ["images/groupchat.jpg", "images/wechat.jpg"],
        _RESERVED_NEAR_DUPLICATE: [
            f"images/{n}.jpeg"
            for n in (432, 450, 463, 468, 489, 529, 550, 551, 708, 712, 788, 811, 847, 300)
        ],
    },
    "drewnoakes/metadata-extractor-images": {
        "byte-identical to a reserved evaluation image": [
            f"jpg/{name}.jpg"
            for name in (
                "Canon IXUS", "FujiFilm DX-10", "FujiFilm FinePix40i", "FujiFilm MX1700",
                "Kodak DC210", "Kodak DC240", "Nikon E950", "Olympus C960", "Ricoh RDC5300",
                "Sanyo SR6", "Sanyo VPCSX550", "Sony Cybershot (8)", "Sony D700",
            )  # fmt: skip
        ],
        "parser crash reproducer, not a photo": ["heic/*Exception*.heif"],
    },
    "jbhuang0604/SelfExSR": {
        _RESERVED_NEAR_DUPLICATE: [
            *(f"data/Set14/image_SRF_2/img_{n:03d}_*" for n in (2, 9, 10, 11, 12)),
            "data/Set5/image_SRF_2/img_003_*",
        ],
    },
    "sczhou/CodeFormer": {"painted mask": ["inputs/masked_faces/**"]},
    "open-mmlab/mmpose": {
        "synthetic render": ["tests/data/rhd/**", "tests/data/freihand/**", "tests/data/300wlp/**"],
        "art or render": ["tests/data/humanart/2D_virtual_human/**", "tests/data/humanart/3D_virtual_human/**"],
        "body-part label map": ["tests/data/h36m/BF_IUV_gt/**"],
        "binary mask": ["tests/data/posetrack18/mask/**"],
    },
}


@dataclass(frozen=True)
class Profile:
    """What a row's files are, where the shared manifest does not already describe them."""

    content_type: str
    generator: str
    license: str
    note: str = ""
    label_confidence: str = "high"  # or "partial": an edit of a real photo, part of the pixels are real


_NO_LICENCE = "no licence stated; third-party content"
_IMAGEN = "dcsan/imagen"  # a 2022 prompt-comparison project: one folder per prompt, one file prefix per model
_IMAGEN_NOTE = "2022 prompt-comparison render; model from the file prefix (data/configs.py)"
_KOLORS_LICENCE = "Kolors MODEL_LICENSE (custom model licence)"
_GPEN_LICENCE = "no licence file in snapshot; inputs from FFHQ/CelebA-HQ (non-commercial research)"
# Keyed by (repository or package, group): one group can come from several sources with other terms.
PROFILES = {
    ("EliSchwartz/imagenet-sample-images", "imagenet-sample"): Profile(
        "photo", "ImageNet-1k web photo", "ImageNet terms: non-commercial research/education use",
        "one ImageNet-1k validation-style image per class (class in the file name)",
    ),
    ("clovaai/stargan-v2", "faces-celebahq"): Profile(
        "photo (face, super-resolved)", "CelebA-HQ", "CelebA-HQ: non-commercial research use",
        "CelebA-HQ face; identifiable person, do not redistribute",
    ),
    ("clovaai/stargan-v2", "animals-afhq"): Profile("photo (animal)", "AFHQ", "CC BY-NC 4.0 (AFHQ)"),
    ("sczhou/CodeFormer", "faces-codeformer"): Profile(
        "photo (face)", "CodeFormer test input",
        "third-party photos; repo under NTU S-Lab License 1.0 (non-commercial)",
        "identifiable person; some inputs are deliberately degraded",
    ),
    ("ZPdesu/Barbershop", "faces-animals-barbershop"): Profile(
        "photo (face/animal)", "FFHQ/AFHQ sample",
        "FFHQ CC BY-NC-SA 4.0; AFHQ CC BY-NC 4.0; MetFaces CC BY-NC 2.0",
        "identifiable person where a face",
    ),
    ("open-mmlab/mmpose", "people-animals"): Profile(
        "photo (pose-dataset sample)", "mmpose test data (COCO/MPII/AIC/... samples)",
        "mmpose Apache-2.0; images from research datasets, several research-only",
    ),
    ("wesnoth-1.16-data", "human-art-wesnoth"): Profile(
        "digital-art (hand-painted)", "human artist (Battle for Wesnoth)", "GPL-2+ (debian/copyright)",
    ),
    (_IMAGEN, "dalle2"): Profile("generated", "OpenAI DALL-E 2 (2022)", _NO_LICENCE, _IMAGEN_NOTE),
    (_IMAGEN, "midjourney"): Profile("generated", "Midjourney (2022, v3-era)", _NO_LICENCE, _IMAGEN_NOTE),
    (_IMAGEN, "ldm"): Profile("generated", "CompVis latent diffusion txt2img (replicate)", _NO_LICENCE, _IMAGEN_NOTE),
    (_IMAGEN, "sd1.x"): Profile(
        "generated", "Stability AI, 2022 (most likely SD 1.x via DreamStudio)", _NO_LICENCE, _IMAGEN_NOTE
    ),
    (_IMAGEN, "glid3-xl"): Profile("generated", "GLID-3-XL (replicate)", _NO_LICENCE, _IMAGEN_NOTE),
    (_IMAGEN, "disco-diffusion"): Profile("generated", "Disco Diffusion (replicate)", _NO_LICENCE, _IMAGEN_NOTE),
    (_IMAGEN, "dalle-mini"): Profile("generated", "DALL-E mini / craiyon (replicate)", _NO_LICENCE, _IMAGEN_NOTE),
    ("Kwai-Kolors/Kolors", "kolors"): Profile("generated", "Kuaishou Kolors", _KOLORS_LICENCE),
    ("Kwai-Kolors/Kolors", "sdxl"): Profile(
        "generated", "SDXL (ControlNet / IP-Adapter comparison in the Kolors READMEs)", _KOLORS_LICENCE
    ),
    ("Kwai-Kolors/Kolors", "inpainting"): Profile(
        "generated", "Kolors-Inpainting or SDXL-Inpainting", _KOLORS_LICENCE, label_confidence="partial"
    ),
    ("Kwai-Kolors/Kolors", "midjourney"): Profile(
        "generated", "Midjourney v6 character reference (--cw), per the Kolors ipadapter README", _KOLORS_LICENCE
    ),
    ("ai-forever/Kandinsky-3", "kandinsky3"): Profile("generated", "Kandinsky 3.0", "Apache-2.0"),
    ("yangxy/GPEN", "gan-stylegan2-prior"): Profile(
        "generated", "GPEN Segmentation2Face (StyleGAN2-prior generator)", _GPEN_LICENCE
    ),
    ("yangxy/GPEN", "inpainting"): Profile(
        "generated", "GPEN face inpainting or colorization (StyleGAN2 prior)", _GPEN_LICENCE,
        "FFHQ/CelebA-HQ face with regenerated regions or colours", label_confidence="partial",
    ),
    ("yangxy/GPEN", "faces-restoration-inputs"): Profile(
        "photo (face)", "GPEN restoration input (FFHQ / CelebA-HQ / phone selfie)", _GPEN_LICENCE,
        "identifiable person",
    ),
    ("ckkelvinchan/RealBasicVSR", "video-frames-real"): Profile(
        "video frame (real, low quality)", "RealBasicVSR demo clip", "Apache-2.0",
        "consecutive frames of one clip",
    ),
    ("luanfujun/deep-photo-styletransfer", "neural-style-transfer"): Profile(
        "style-transfer", "Deep Photo Style Transfer (final results)", "repo code licence; photos third-party",
    ),
    ("luanfujun/deep-photo-styletransfer", "photos-flickr"): Profile(
        "photo", "Deep Photo Style Transfer content/style photo", "third-party photos (Flickr-style); no licence",
        "resized to 700 px on the long side; some style photos heavily graded",
    ),
    ("naoto0804/pytorch-AdaIN", "paintings-artwork"): Profile(
        "painting/artwork (reproduction)", "human artist (AdaIN style set)", "MIT code; artworks third-party",
    ),
    ("google/dreambooth", "phone-photos-objects-pets"): Profile(
        "photo", "DreamBooth subject photo (authors / Unsplash)",
        "CC-BY-4.0 (LICENSE.md); per-image sources in dataset/references_and_licenses.txt",
    ),
    ("MikeKovarik/exifr", "camera-photos-exif"): Profile(
        "photo", "exifr test fixture", "MIT (exifr); photos third-party", "EXIF-parser test fixture"
    ),
    ("OCR-D/assets", "document-scans"): Profile(
        "scan (historical print page)", "OCR-D test workspace scan", "OCR-D/assets LICENSE (not read)"
    ),
}
# Per-file facts that differ from what the row's profile or the shared manifest says (by eye or by
# the repository's README): {path glob: {manifest column: value}}.
PATH_OVERRIDES: dict[str, dict[str, str]] = {
    **{pattern: {"content_type": kind} for pattern, kind in {
        "input/metface/*": "artwork (painted portrait, MetFaces)",
        "webp/Alpha *": "test image (WebP alpha sample: flower, Tux drawing)",
        "webp/Animation *": "test image (animated 3D render)",
        "webp/webpvp8*": "digital-art (game art/screenshot)",
        "tif/multipage.tif": "graphic (bilevel test page)",
        "tif/Issue 151.tif": "photo (aerial, 16-bit grey)",
        "tif/Issue 555 *": "photo (aerial, 16-bit grey)",
        "tif/Epson PerfectionV800.tiff": "scan (photo print)",
        "jpg/Issue 600 *": "photo (astronomy)",
        "jpg/Issue 173 (dotnet).jpg": "graphic (flat grey)",
        "jpg/Issue 609.jpg": "graphic (text)",
        "jpg/Issue 614.jpg": "graphic (flat colour)",
        "jpg/Issue 80.jpg": "graphic (text)",
        "jpg/Multiple ICC segments.jpg": "graphic (logo)",
        "jpg/Photoshop (3).jpg": "screenshot (code editor)",
        "/usr/share/backgrounds/mate/abstract/*": "digital-art (wallpaper)",
        "/usr/share/backgrounds/mate/desktop/*": "digital-art (wallpaper)",
        "data/page_dewarp/**": "photo (of a printed page)",
    }.items()},  # fmt: skip
    "inpainting/asset/*_kolors.png": {"generator": "Kolors-Inpainting"},
    "inpainting/asset/*_sdxl.png": {"generator": "SDXL-Inpainting"},
    "scripts/outputs/sample_inpainting_*": {"generator": "Kolors-Inpainting", "label_confidence": "partial"},
    "examples/outs-inpainting/*": {"generator": "GPEN face inpainting (StyleGAN2 prior)"},
    "examples/outs-colorization/*": {"generator": "GPEN face colorization (StyleGAN2 prior)"},
}

GALLERY_REPO = "songguoxs/gpt4o-image-prompts"
GALLERY_MODELS = {  # README `模型：` field -> (group, generator, label_confidence)
    "Nano banana pro": ("nano-banana-pro", "Google Gemini 3 Pro Image (Nano Banana Pro) [per gallery 模型 field]", "high"),
    "Grok": ("grok-imagine", "xAI Grok image generation [per gallery 模型 field]", "high"),
    "通义Z-Image-Turbo": ("z-image", "Tongyi Z-Image-Turbo [per gallery 模型 field]", "high"),
    None: (
        "unknown-gallery-gpt4o-era",
        "unspecified (gallery of GPT-4o/Nano-Banana/Doubao prompts; model not stated for this case)",
        "ai-likely/generator-unknown",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class SourceRow:
    index: int
    kind: str  # "github" or "deb"
    name: str  # owner/repo or package
    pin: str  # commit or version
    path_glob: str
    label: str
    group: str

    @property
    def title(self) -> str:
        return f"row {self.index}: {self.kind}:{self.name} {self.path_glob}"


@dataclass
class Candidate:
    path: str  # inside the repository or package (package paths start with "/")
    data: bytes | None  # None when the snapshot lacks the blob


@dataclass
class RowReport:
    row: SourceRow
    origin: str = ""  # how the pinned commit/version was resolved, when it was not the pin
    resolved: str = ""  # the commit or version actually read
    counts: Counter = field(default_factory=Counter)
    flagged: list[str] = field(default_factory=list)  # files the reserved check refused, and why


def read_reserved(path: Path) -> tuple[set[str], set[str]]:
    """(GitHub repositories, Debian packages), lower-cased; refuse to go on without the list."""
    if not path.is_file():
        raise SystemExit(f"reserved source list not found at {path}; refusing to fetch without it")
    repos, packages = set(), set()
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.strip().lower()
        if entry and not entry.startswith("#"):
            (repos if "/" in entry else packages).add(entry)
    return repos, packages


def refuse_reserved(rows: list[SourceRow], reserved: tuple[set[str], set[str]]) -> None:
    repos, packages = reserved
    for row in rows:
        if row.name.lower() in (repos if row.kind == "github" else packages):
            raise SystemExit(f"{row.title}: {row.name} is a reserved evaluation source; refusing")


def read_sources(path: Path) -> list[SourceRow]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            SourceRow(
                index=i,
                kind=r["source_kind"],
                name=r["repo_or_package"],
                pin=r["commit_or_version"],
                path_glob=r["path_glob"],
                label=r["label"],
                group=r["group"],
            )
            for i, r in enumerate(csv.DictReader(handle), start=1)
        ]


def glob_regex(pattern: str) -> re.Pattern:
    """Path glob where `*`, `?` and `[...]` stay inside one folder and `**` spans folders.

    Several globs separated by `;` match a path that any of them matches: one source row can
    name the exact vetted files of a repository (`a/x_*.jpg;b/y?.png`). `[!...]` negates a class.
    """
    return re.compile("|".join(f"(?:{_one_glob(part)})" for part in pattern.split(";")))


def _one_glob(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        closing = pattern.find("]", i + 2) if pattern[i] == "[" else -1
        if closing > 0:
            body = pattern[i + 1 : closing]
            negated = body[0] in "!^"
            body = body[1:] if negated else body
            out.append(f"[{'^/' if negated else ''}{body.replace(chr(92), chr(92) * 2)}]")
            i = closing + 1
        elif pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out) + r"\Z"


def exclusion_reason(row: SourceRow, path: str) -> str | None:
    for reason, patterns in EXCLUDED.get(row.name, {}).items():
        if any(glob_regex(p).match(path) for p in patterns):
            return reason
    return None


# --- GitHub snapshots -------------------------------------------------------------------


def git_dir(mirror_root: Path, repo: str) -> Path:
    owner, name = repo.split("/")
    for candidate in (
        mirror_root / f"{owner}+{name}" / "repo",
        mirror_root / owner / f"{name}.git",
        mirror_root / owner / name / ".git",
    ):
        if candidate.is_dir():
            return candidate
    raise SystemExit(f"no git directory for {repo} under {mirror_root}; fetch github:{repo} first")


def git(gitdir: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={gitdir}", *args], input=data, capture_output=True, check=True
    ).stdout


def resolve_commit(gitdir: Path, commit: str) -> tuple[str, str]:
    try:
        git(gitdir, "cat-file", "-e", f"{commit}^{{commit}}")
        return commit, ""
    except subprocess.CalledProcessError:
        head = git(gitdir, "rev-parse", "HEAD").decode().strip()
        return head, f"commit {commit} not in snapshot; used its HEAD {head}"


def github_candidates(gitdir: Path, commit: str, path_glob: str) -> Iterator[Candidate]:
    matcher = glob_regex(path_glob)
    listing = git(gitdir, "ls-tree", "-r", "-z", "--full-tree", commit).split(b"\0")
    blobs = []
    for entry in filter(None, listing):
        meta, path = entry.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode != b"120000" and matcher.match(path.decode()):
            blobs.append((path.decode(), sha.decode()))
    with subprocess.Popen(
        ["git", f"--git-dir={gitdir}", "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as proc:
        for path, sha in blobs:
            proc.stdin.write(f"{sha}\n".encode())
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if header[-1] == b"missing":
                yield Candidate(path, None)
                continue
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)  # the newline after each object
            yield Candidate(path, data)
        proc.stdin.close()


# --- Debian packages --------------------------------------------------------------------


def download_deb(cache: Path, package: str, version: str) -> tuple[Path, str, str]:
    """(the .deb, its version, a remark when it is not the pinned version)."""
    cache.mkdir(parents=True, exist_ok=True)
    if version not in cached_debs(cache, package):
        pinned = f"{package}={version}"
        if not apt_download(cache, pinned):
            subprocess.run(["apt-get", "update"], capture_output=True)
            if not (apt_download(cache, pinned) or apt_download(cache, package)):
                raise SystemExit(f"apt-get download {package} failed")
    debs = cached_debs(cache, package)
    if version in debs:
        return debs[version], version, ""
    got, deb = max(debs.items(), key=lambda item: item[1].stat().st_mtime)
    return deb, got, f"version {version} not available; used {got}"


def apt_download(cache: Path, spec: str) -> bool:
    return subprocess.run(["apt-get", "download", spec], cwd=cache, capture_output=True).returncode == 0


def cached_debs(cache: Path, package: str) -> dict[str, Path]:
    return {deb_version(deb): deb for deb in cache.glob(f"{package}_*.deb")}


def deb_version(deb: Path) -> str:
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True)
    return fields.stdout.strip()


def deb_candidates(deb: Path, path_glob: str, counts: Counter) -> Iterator[Candidate]:
    matcher = glob_regex(path_glob)
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as proc:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                path = "/" + member.name.lstrip("./")
                if not matcher.match(path):
                    continue
                if member.isdir():
                    continue
                if not member.isfile():
                    counts["link (to a file matched on its own)"] += 1
                    continue
                yield Candidate(path, tar.extractfile(member).read())


# --- Images -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decoded:
    width: int
    height: int
    format: str
    metadata_kinds: str
    camera: str | None


def decode(data: bytes) -> Decoded | None:
    """Fully decode the first frame: a file we cannot decode is no use to the trainer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return Decoded(image.width, image.height, image.format, metadata_kinds(image, data), camera(image))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def metadata_kinds(image: Image.Image, data: bytes) -> str:
    """Same vocabulary as the shared manifest: exif, xmp, iptc/8bim, c2pa, png-text:<key>."""
    tiff_tags = getattr(image, "tag_v2", None)
    if tiff_tags is not None:  # TIFF keeps these as tags: Exif IFD, XMP, IPTC, Photoshop
        iptc = bool({33723, 34377} & set(tiff_tags))
        flags = {"exif": 34665 in tiff_tags, "xmp": 700 in tiff_tags, "iptc/8bim": iptc}
    else:
        flags = {
            "exif": bool(image.info.get("exif")),
            "xmp": bool(image.info.get("xmp")) or "XML:com.adobe.xmp" in image.info,
            "iptc/8bim": any(marker == "APP13" for marker, _ in getattr(image, "applist", [])),
        }
    flags["c2pa"] = b"jumb" in data and b"c2pa" in data
    kinds = [kind for kind, present in flags.items() if present]
    if image.format == "PNG":
        kinds += [f"png-text:{key}" for key in getattr(image, "text", {}) if key != "XML:com.adobe.xmp"]
    return "|".join(kinds)


def camera(image: Image.Image) -> str | None:
    exif = image.getexif()
    make, model = (str(exif.get(tag, "")).strip("\x00 ") for tag in (271, 272))
    if model and make and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(p for p in (make, model) if p) or None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def flat_name(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", path.strip("/").replace("/", "__"))


# --- Describing rows --------------------------------------------------------------------


def path_overrides(path: str) -> dict[str, str]:
    """The PATH_OVERRIDES entries whose glob matches `path`, merged (later globs win)."""
    merged: dict[str, str] = {}
    for pattern, values in PATH_OVERRIDES.items():
        if glob_regex(pattern).match(path):
            merged.update(values)
    return merged


class Describer:
    """Fills generator, licence, content type and notes, reusing the shared manifest's wording."""

    def __init__(self, shared_rows: list[dict]):
        self.by_source_path = {Source.parse(r["source"]).unpinned: r for r in shared_rows}
        self.by_cluster = {cluster_of(r["source"]): r for r in shared_rows}
        self.licenses: dict[tuple[str, str], Counter] = defaultdict(Counter)
        self.content_types: dict[str, Counter] = defaultdict(Counter)
        for r in shared_rows:
            self.licenses[(source_group(r["source"]), r["group"])][r["license"]] += 1
            self.content_types[r["group"]][r["content_type"]] += 1

    def describe(self, row: SourceRow, path: str, source: str, decoded: Decoded, gallery_model: str | None) -> dict:
        group, profile = row.group, PROFILES.get((row.name, row.group))
        overrides = path_overrides(path)
        # A camera name describes a real photo; EXIF on an AI file comes from an export tool.
        generator = (decoded.camera if row.label == "real" else None) or (profile.generator if profile else None)
        generator = generator or (f"wallpaper:{row.name}" if row.kind == "deb" else row.group)
        confidence = profile.label_confidence if profile else "high"
        note = profile.note if profile else ""
        if row.name == GALLERY_REPO:
            group, generator, confidence = GALLERY_MODELS[gallery_model]
            case = re.match(r"images/(\d+)", path)
            note = (f"gallery case {case.group(1)}; " if case else "") + "social-media repost (likely re-encoded)"
        generator = overrides.get("generator", generator)
        confidence = overrides.get("label_confidence", confidence)
        twin = self.by_source_path.get(Source.parse(source).unpinned) or self.by_cluster.get(cluster_of(source))
        content_type = overrides.get("content_type") or (twin["content_type"] if twin else None)
        content_type = content_type or (profile.content_type if profile else None)
        if not content_type and self.content_types[group]:
            content_type = self.content_types[group].most_common(1)[0][0]
        licenses = self.licenses.get((source_group(source), group))
        license_ = licenses.most_common(1)[0][0] if licenses else (profile.license if profile else None)
        if not (license_ and content_type):
            raise SystemExit(f"{row.title}: no licence or content type known for group {group}; add a Profile")
        return dict(
            group=group, generator=generator, license=license_, content_type=content_type,
            label_confidence=confidence, note=note,
        )  # fmt: skip


def gallery_models(gitdir: Path, commit: str) -> Callable[[str], str | None]:
    """Image path -> the `模型` (model) named in its case heading, or None when not named.

    Cases are `## 案例 N：title (来源 ...) 模型：X` headings in README.md and the NNN.md pages;
    an image belongs to the case whose section references it, or else to case N of its name.
    """
    pages = [p for p in git(gitdir, "ls-tree", "--name-only", commit).decode().split("\n") if p.endswith(".md")]
    by_image: dict[str, str | None] = {}
    by_case: dict[str, str | None] = {}
    for page in pages:
        model = None
        for line in git(gitdir, "show", f"{commit}:{page}").decode("utf-8", "replace").splitlines():
            heading = re.match(r"##\s*案例\s*(\d+)", line)
            if heading:
                named = re.search(r"模型[:：]\s*(.+?)\s*$", line)
                model = by_case[heading.group(1)] = named.group(1) if named else None
                continue
            for image in re.findall(r"images/([^\"')\s>]+)", line):
                by_image.setdefault(f"images/{image}", model)
    unknown = {m for m in [*by_image.values(), *by_case.values()] if m not in GALLERY_MODELS}
    if unknown:
        raise SystemExit(f"gallery names models this script does not map: {sorted(unknown)}")

    def model_of(path: str) -> str | None:
        if path in by_image:
            return by_image[path]
        case = re.match(r"images/(\d+)", path)
        return by_case.get(case.group(1)) if case else None

    return model_of


# --- Main -------------------------------------------------------------------------------


def stage(args: argparse.Namespace) -> list[RowReport]:
    rows = read_sources(args.sources)
    refuse_reserved(rows, read_reserved(args.reserved))
    with args.shared_manifest.open(newline="", encoding="utf-8") as handle:
        shared_rows = list(csv.DictReader(handle))
    shared_originals = {r["original_sha256"] for r in shared_rows} | {r["sha256"] for r in shared_rows}
    describer = Describer(shared_rows)
    screen = ReservedScreen(args.reserved_check, args.out / "reserved_check_passed.txt")
    seen: set[str] = set()
    records, reports = [], []
    for row in rows:
        report = RowReport(row)
        if row.kind == "github":
            gitdir = git_dir(args.mirror_root, row.name)
            commit, report.origin = resolve_commit(gitdir, row.pin)
            report.resolved = commit
            prefix = f"github:{row.name}@{commit}:"
            candidates = github_candidates(gitdir, commit, row.path_glob)
            model_of = gallery_models(gitdir, commit) if row.name == GALLERY_REPO else (lambda path: None)
        else:
            deb, version, report.origin = download_deb(args.deb_cache, row.name, row.pin)
            report.resolved = version
            prefix = f"deb:{row.name}_{version}:"
            candidates = deb_candidates(deb, row.path_glob, report.counts)
            model_of = lambda path: None  # noqa: E731
        admitted = []
        for candidate in candidates:
            report.counts["matched"] += 1
            kept = admit(row, candidate, shared_originals, seen, report.counts)
            if kept:
                source = prefix + candidate.path
                described = describer.describe(row, candidate.path, source, kept, model_of(candidate.path))
                admitted.append(place(args.out, row, candidate, source, kept, described))
        records += screened(admitted, screen, args.out, report)
        reports.append(report)
        print(format_report(report), flush=True)
    write_manifest(args.out, records)
    if args.record:
        write_record(args.record, reports, records)
    return reports


def screened(admitted: list[dict], screen: ReservedScreen, out: Path, report: RowReport) -> list[dict]:
    """The admitted records the reserved check clears; the rest are counted with the reason."""
    verdicts = screen.verdicts({out / r["path"]: r["sha256"] for r in admitted})
    kept = []
    for record in admitted:
        reason = verdicts.get(out / record["path"])
        if reason:
            report.counts["refused by the reserved check"] += 1
            report.flagged.append(f"{Source.parse(record['source']).path}: {reason}")
        else:
            report.counts["kept"] += 1
            kept.append(record)
    return kept


def admit(row: SourceRow, candidate: Candidate, shared: set[str], seen: set[str], counts: Counter) -> Decoded | None:
    """Apply the skips in order (cheapest first); the decoded facts of a file that is kept."""
    if candidate.data is None:
        counts["missing from snapshot"] += 1
        return None
    reason = exclusion_reason(row, candidate.path)
    if reason:
        counts[f"skipped: {reason}"] += 1
        return None
    if Path(candidate.path).suffix.lower() not in IMAGE_SUFFIXES:
        counts["not an image file"] += 1
        return None
    digest = sha256(candidate.data)
    if digest in shared:
        counts["already in shared set"] += 1
        return None
    if digest in seen:
        counts["duplicate within extras"] += 1
        return None
    decoded = decode(candidate.data)
    if decoded is None:
        counts["undecodable"] += 1
        return None
    if min(decoded.width, decoded.height) < MIN_SIDE:
        counts[f"under {MIN_SIDE} px"] += 1
        return None
    seen.add(digest)
    return decoded


def place(out: Path, row: SourceRow, candidate: Candidate, source: str, decoded: Decoded, described: dict) -> dict:
    """Write the original bytes (unless already there) and return its manifest record."""
    digest = sha256(candidate.data)
    relative = f"{described['group']}/{flat_name(candidate.path)}"
    target = out / relative
    if not (target.is_file() and sha256(target.read_bytes()) == digest):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(candidate.data)
    return {
        **described,
        "path": relative,
        "label": row.label,
        "source": source,
        "original_sha256": digest,
        "sha256": digest,
        "transform": "original",
        "crop_box": "",
        "width": decoded.width,
        "height": decoded.height,
        "format": decoded.format,
        "metadata_kinds": decoded.metadata_kinds,
    }


def write_manifest(out: Path, records: list[dict]) -> None:
    """Write the manifest and delete files under `out` that it no longer lists."""
    clashes = [p for p, n in Counter(r["path"] for r in records).items() if n > 1]
    if clashes:
        raise SystemExit(f"flattened names clash: {clashes[:5]}")
    out.mkdir(parents=True, exist_ok=True)
    with (out / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(records, key=lambda r: r["path"]))
    listed = {out / r["path"] for r in records}
    for stale in [p for p in out.glob("*/**/*") if p.is_file() and p not in listed]:
        stale.unlink()


def format_report(report: RowReport) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in report.counts.items() if k not in ("matched", "kept"))
    origin = f" [{report.origin}]" if report.origin else ""
    return (
        f"{report.row.title}{origin}: matched {report.counts['matched']}, kept {report.counts['kept']}"
        + (f" ({counts})" if counts else "")
        + "".join(f"\n    refused {flagged}" for flagged in report.flagged)
    )


RECORD_COLUMNS = ["source", "label", "group", "sha256"]


def write_record(folder: Path, reports: list[RowReport], records: list[dict]) -> None:
    """What was staged, for the repository: every source with its pin and each file's sha256.

    No pixels and no local paths, so it may be committed (training/data/extra_images.csv and
    extra_sources.md), and anyone can check a rebuilt set against it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "extra_images.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=RECORD_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(sorted(records, key=lambda r: r["source"]))
    lines = [
        "# Extra development sources as staged",
        "",
        "Written by `python -m training.data.fetch_extra --record training/data`: one line per row of",
        "`shared/data/extra_sources.csv`, with the commit or version read and what was kept or dropped.",
        "Each kept file's sha256 is in `extra_images.csv`.",
        "",
        "| row | source | commit or version | label | group | matched | kept | dropped (why) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        row = report.row
        dropped = "; ".join(f"{k} {v}" for k, v in report.counts.items() if k not in ("matched", "kept"))
        dropped += "".join(f"<br>{flagged}" for flagged in report.flagged)
        pin = report.resolved + (f" ({report.origin})" if report.origin else "")
        lines.append(
            f"| {row.index} | {row.kind}:{row.name} `{row.path_glob}` | {pin} | {row.label} | {row.group} "
            f"| {report.counts['matched']} | {report.counts['kept']} | {dropped or '-'} |"
        )
    (folder / "extra_sources.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED_DATA, help="shared data folder")
    parser.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"), help="where git snapshots live")
    parser.add_argument("--deb-cache", type=Path, default=EXTRA_DIR.parent / "cache" / "deb")
    parser.add_argument("--out", type=Path, default=EXTRA_DIR)
    parser.add_argument(
        "--reserved-check", type=Path, default=None,
        help="the near-copy check run on every staged file (default: <shared>/../tools/reserved_check.py)",
    )  # fmt: skip
    parser.add_argument("--record", type=Path, help="also write extra_images.csv and extra_sources.md here")
    args = parser.parse_args(argv)
    args.reserved_check = args.reserved_check or args.shared.parent / "tools" / "reserved_check.py"
    args.sources = args.shared / "extra_sources.csv"
    args.reserved = args.shared / "reserved_sources.txt"
    args.shared_manifest = args.shared / "manifest.csv"
    return args


def main(argv: list[str] | None = None) -> None:
    stage(parse_args(argv))


if __name__ == "__main__":
    main()
