"""Images out of an uploaded ZIP or TAR (optionally gzip/bzip2/xz-compressed), within bounds.

An archive is refused whole, before any job exists, when it holds more than ``max_images``
files, when a member would unpack past ``max_member_bytes`` (the single-image upload limit),
when everything together would unpack past ``max_total_bytes``, or when a ZIP member claims
a compression ratio no image has (a zip bomb). Sizes the archive declares are checked first
and then enforced while reading, since a crafted archive may lie about them. Each member is
then decoded like any upload, with the same format and pixel limits, when its turn comes.
"""

import io
import tarfile
import zipfile
from dataclasses import dataclass
from typing import IO

from ..errors import CorruptMedia, DecompressionBomb, TooLarge, UnsupportedType

MAX_RATIO = 100  # images are compressed already: a ZIP member packed 100:1 is a bomb, not a photo
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes


@dataclass(frozen=True)
class ArchiveLimits:
    max_images: int
    max_member_bytes: int
    max_total_bytes: int


def unpack(data: bytes, limits: ArchiveLimits) -> list[Member]:
    """The archive's regular files, in archive order (folders and hidden files skipped)."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        return _unpack_zip(data, limits)
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except tarfile.TarError:
        raise UnsupportedType("the upload is not a ZIP or TAR archive") from None
    try:
        with tar:
            return _unpack_tar(tar, limits)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise CorruptMedia(f"the archive could not be unpacked: {exc}") from None


def _wanted(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return not any(part.startswith(".") or part == "__MACOSX" for part in parts)


class _Tally:
    """Counts files and bytes across the archive, raising at the first bound passed."""

    def __init__(self, limits: ArchiveLimits):
        self.limits = limits
        self.files = 0
        self.bytes = 0

    def add_file(self, declared: int) -> None:
        self.files += 1
        if self.files > self.limits.max_images:
            raise TooLarge(f"the archive holds more than {self.limits.max_images} files, the limit for one job")
        if declared > self.limits.max_member_bytes:
            raise TooLarge(f"an archive member is {declared} bytes; the limit is {self.limits.max_member_bytes}")

    def skip(self, size: int) -> None:
        self._count(size)

    def _count(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_total_bytes:
            raise DecompressionBomb(f"the archive unpacks past {self.limits.max_total_bytes} bytes")

    def read(self, name: str, stream: IO[bytes]) -> Member:
        body = bytearray()
        while chunk := stream.read(_CHUNK):
            body += chunk
            if len(body) > self.limits.max_member_bytes:
                raise TooLarge(f"{name} unpacks past the {self.limits.max_member_bytes}-byte limit for one image")
            self._count(len(chunk))
        return Member(name.replace("\\", "/").rsplit("/", 1)[-1][:255], bytes(body))


def _unpack_zip(data: bytes, limits: ArchiveLimits) -> list[Member]:
    tally = _Tally(limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir() and _wanted(info.filename)]
            for info in infos:
                tally.add_file(info.file_size)
                if info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise DecompressionBomb(
                        f"{info.filename} is compressed {info.file_size // max(info.compress_size, 1)}:1,"
                        f" over the {MAX_RATIO}:1 an image can be"
                    )
            members = []
            for info in infos:
                with archive.open(info) as stream:
                    members.append(tally.read(info.filename, stream))
            return members
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise UnsupportedType(f"the ZIP archive could not be read: {exc}") from None


def _unpack_tar(tar: tarfile.TarFile, limits: ArchiveLimits) -> list[Member]:
    tally = _Tally(limits)
    members = []
    for info in tar:  # streamed: a compressed TAR is bounded by the bytes it unpacks to, as it unpacks
        if not info.isfile():
            continue
        if not _wanted(info.name):
            tally.skip(info.size)  # skipping still unpacks it
            continue
        tally.add_file(info.size)
        members.append(tally.read(info.name, tar.extractfile(info)))
    return members
