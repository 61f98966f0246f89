"""Walk the structure of JPEG, PNG and WebP files: their segments and chunks, never their pixels.

One walker per container, shared by everything that reads or rewrites file structure (text
chunks, C2PA stores, XMP, metadata stripping), so a quirk of real files (JPEG fill bytes,
standalone markers, a truncated tail) is handled once. The walkers only find the pieces; what
a piece means is the caller's business.
"""

from collections.abc import Iterator
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOS = 0xDA  # start of scan: entropy-coded image data follows, no more segments
JPEG_EOI = 0xD9
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD9)}  # markers without a length field (TEM, RSTn, SOI)


class Malformed(ValueError):
    """The container's structure is broken where it was walked."""


@dataclass(frozen=True)
class Piece:
    """One JPEG segment or PNG/RIFF chunk: ``kind`` (a JPEG marker byte or a chunk type) and
    where it lies in ``data``. A piece cut off by the end of the file is shorter than declared."""

    data: bytes
    kind: int | bytes
    offset: int  # where its header starts
    header: int  # bytes before the body: the marker and length, or the chunk's length and type
    length: int  # the body's declared length
    trailer: int = 0  # bytes after the body: PNG's CRC, RIFF's padding byte

    @property
    def body(self) -> bytes:
        start = self.offset + self.header
        return self.data[start : start + self.length]

    @property
    def raw(self) -> bytes:
        """The whole piece as stored: header, body and trailer."""
        return self.data[self.offset : self.end]

    @property
    def end(self) -> int:
        return self.offset + self.header + self.length + self.trailer


def jpeg_segments(data: bytes) -> Iterator[Piece]:
    """The marker segments after SOI, in order, up to and including SOS (or EOI). Standalone
    markers come with an empty body. Raises Malformed where no marker is where one should be."""
    i, end = 2, len(data)
    while i + 4 <= end:
        if data[i] != 0xFF:
            raise Malformed(f"no JPEG marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_STANDALONE or marker == JPEG_EOI:
            yield Piece(data, marker, i, 2, 0)
            if marker == JPEG_EOI:
                return
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2:
            raise Malformed(f"JPEG segment {marker:#04x} at byte {i} declares length {length}")
        yield Piece(data, marker, i, 4, length - 2)
        if marker == JPEG_SOS:
            return
        i += 2 + length


def png_chunks(data: bytes) -> Iterator[Piece]:
    """The chunks after the PNG signature, in file order, up to and including IEND."""
    i, end = len(PNG_SIGNATURE), len(data)
    while i + 8 <= end:
        chunk = Piece(data, data[i + 4 : i + 8], i, 8, int.from_bytes(data[i : i + 4], "big"), trailer=4)
        yield chunk
        if chunk.kind == b"IEND":
            return
        i = chunk.end


def riff_chunks(data: bytes) -> Iterator[Piece]:
    """The chunks of a RIFF file (WebP) after its 12-byte header, in file order."""
    i, end = 12, len(data)
    while i + 8 <= end:
        length = int.from_bytes(data[i + 4 : i + 8], "little")
        chunk = Piece(data, data[i : i + 4], i, 8, length, trailer=length & 1)
        yield chunk
        i = chunk.end
