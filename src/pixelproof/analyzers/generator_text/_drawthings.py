"""Draw Things: its settings in XMP (CreatorTool "Draw Things", A1111-style description, JSON
UserComment)."""

from ...media import Media
from ..carriers import TextChunk, parse_xmp, xmp_packet
from ._a1111 import split_a1111
from ._record import Generation, generation, parse_json


def from_xmp(media: Media, chunks: list[TextChunk]) -> list[Generation]:
    packet = xmp_packet(media.image, chunks)
    if not packet or b"Draw Things" not in (packet if isinstance(packet, bytes) else packet.encode()):
        return []
    xmp = parse_xmp(packet)
    if not any("draw things" in tool.lower() for tool in xmp.get("xmp:CreatorTool", [])):
        return []
    settings = parse_json((xmp.get("exif:UserComment") or [""])[0])
    settings = settings if isinstance(settings, dict) else {}
    description = (xmp.get("dc:description") or [""])[0]
    prompt, negative, params = split_a1111(description)
    model = settings.get("model") or params.get("Model")
    return [
        generation(
            "drawthings",
            ["xmp:CreatorTool", "dc:description", "exif:UserComment"],
            carrier="xmp",
            models=[model],
            sampler=settings.get("sampler") or params.get("Sampler"),
            steps=settings.get("steps") or params.get("Steps"),
            seed=settings.get("seed") or params.get("Seed"),
            cfg_scale=settings.get("scale") or params.get("Guidance Scale"),
            size=settings.get("size") or params.get("Size"),
            prompt=settings.get("c") or prompt,
            negative_prompt=settings.get("uc") or negative,
        )
    ]
