"""Archive limits for job uploads: what is unpacked, and which archives are refused whole."""

import io
import random
import tarfile
import zipfile

import pytest

from pixelproof.errors import CorruptMedia, DecompressionBomb, TooLarge, UnsupportedType
from pixelproof.ingest.archive import ArchiveLimits, unpack

LIMITS = ArchiveLimits(max_images=3, max_member_bytes=100_000, max_total_bytes=250_000)


def tar_of(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_members_come_out_by_base_name_in_order_without_hidden_files():
    members = {"a/one.png": b"1", ".DS_Store": b"x", "__MACOSX/a/._one.png": b"x", "two.jpg": b"2"}
    for archive in (tar_of(members), zip_of(members)):
        assert [(m.name, m.data) for m in unpack(archive, LIMITS)] == [("one.png", b"1"), ("two.jpg", b"2")]


@pytest.mark.parametrize("archive", [tar_of, zip_of], ids=["tar.gz", "zip"])
def test_more_files_than_a_job_takes_is_refused(archive):
    with pytest.raises(TooLarge, match="more than 3 files"):
        unpack(archive({f"{i}.png": b"x" for i in range(4)}), LIMITS)


def test_a_tar_unpacking_past_the_total_is_refused_as_it_unpacks():
    members = {f"{i}.png": bytes(90_000) for i in range(3)}  # each under the image limit, 270 kB together
    with pytest.raises(DecompressionBomb, match="unpacks past 250000 bytes"):
        unpack(tar_of(members), LIMITS)


def test_hidden_tar_members_count_towards_the_total():
    members = {".pad1": bytes(200_000), ".pad2": bytes(200_000), "one.png": b"1"}
    with pytest.raises(DecompressionBomb):
        unpack(tar_of(members), LIMITS)


def test_a_zip_member_compressed_past_any_image_ratio_is_a_bomb():
    with pytest.raises(DecompressionBomb, match="over the 100:1"):
        unpack(zip_of({"zeros.png": bytes(99_000)}), LIMITS)


def test_not_an_archive_and_a_truncated_one_are_told_apart():
    with pytest.raises(UnsupportedType):
        unpack(b"\x89PNG\r\n\x1a\n not an archive", LIMITS)
    with pytest.raises(CorruptMedia):
        noise = random.Random(0).randbytes(50_000)  # incompressible: the cut falls inside the member
        unpack(tar_of({"one.png": noise}, mode="w:gz")[:-200], LIMITS)
