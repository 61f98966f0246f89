"""One generator's record (Generation) and the cleaning every reader applies to loosely typed values."""

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from ...evidence import GeneratorGuess, Signal
from ..families import UNKNOWN, family_for

PROMPT_LIMIT = 2000  # characters of prompt kept in the evidence; workflows can be megabytes
Tool = Literal["automatic1111", "comfyui", "fooocus", "invokeai", "novelai", "drawthings", "swarmui"]
_TOOL_NAMES = {
    "automatic1111": "AUTOMATIC1111-style",
    "comfyui": "ComfyUI",
    "fooocus": "Fooocus",
    "invokeai": "InvokeAI",
    "novelai": "NovelAI",
    "drawthings": "Draw Things",
    "swarmui": "SwarmUI",
}
_APP_NAMES = {"forge": "Forge", "sdnext": "SD.Next", "civitai": "Civitai", "comfyui": "ComfyUI", "fooocus": "Fooocus"}
_CARRIERS = {
    "png-text": "PNG text chunks",
    "png-text-after-idat": "PNG text chunks placed after the image data",
    "exif-usercomment": "the EXIF UserComment",
    "exif-ifd0-usercomment": "a UserComment tag in EXIF IFD0",
    "png-exif-usercomment": "the EXIF UserComment of a PNG eXIf chunk",
    "exif-ifd0": "EXIF IFD0 text tags",
    "comment": "the file comment",
    "xmp": "XMP",
    "alpha-lsb": "the alpha channel's least significant bits ('stealth' metadata)",
}


class Generation(BaseModel):
    """One generator's record of how it made this image."""

    tool: Tool  # the metadata convention
    app: str | None = None  # the application the metadata itself names (forge, sdnext, civitai…)
    carrier: str  # where it sits in the file (a key of _CARRIERS)
    fields: list[str]  # the chunk keywords or keys it was read from
    models: list[str] = Field(default_factory=list)  # checkpoint / UNet / model names, as written
    family: str = UNKNOWN
    sampler: str | None = None
    scheduler: str | None = None
    steps: int | None = None
    seed: int | None = None
    cfg_scale: float | None = None
    size: str | None = None  # "WxH" as requested from the generator
    prompt: str | None = None  # truncated to PROMPT_LIMIT characters
    negative_prompt: str | None = None
    version: str | None = None

    def signal(self) -> Signal:
        who = _TOOL_NAMES[self.tool]
        if self.app and self.app != self.tool:
            who += f" (written by {_APP_NAMES.get(self.app, self.app)})"
        naming = f", naming the model {self.models[0]}" if self.models else ""
        return Signal(
            kind="metadata",
            points_to="ai",
            strength="decisive",
            generator=GeneratorGuess(family=self.family, detail=self.models[0] if self.models else who),
            summary=f"The file carries {who} generation settings in {_CARRIERS[self.carrier]}{naming}.",
        )


Texts = dict[str, Any]  # key → text, or JSON already parsed


def generation(tool: Tool, fields: list[str], *, carrier="", models=(), hints=(), **values) -> Generation:
    """Build a record from loosely typed values: bad numbers become None, long prompts are cut.

    ``carrier`` is left to ``recognise`` when the same reader serves several carriers.
    """
    names = list(dict.fromkeys(m.strip() for m in models if isinstance(m, str) and m.strip()))
    family = next(
        (f for f in map(family_for, names + [h for h in hints if isinstance(h, str)]) if f != UNKNOWN), UNKNOWN
    )
    return Generation(
        tool=tool,
        carrier=carrier,
        fields=fields,
        models=names,
        family=family,
        app=values.get("app"),
        sampler=clipped(values.get("sampler"), 200),
        scheduler=clipped(values.get("scheduler"), 200),
        steps=to_int(values.get("steps")),
        seed=to_int(values.get("seed")),
        cfg_scale=to_float(values.get("cfg_scale")),
        size=clipped(values.get("size"), 40),
        prompt=clipped(values.get("prompt"), PROMPT_LIMIT),
        negative_prompt=clipped(values.get("negative_prompt"), PROMPT_LIMIT),
        version=clipped(values.get("version"), 200),
    )


def parse_json(value: Any) -> Any:
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[", '"')):
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def clipped(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:limit] or None


def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def to_float(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def size_of(width: Any, height: Any) -> str | None:
    width, height = to_int(width), to_int(height)
    return f"{width}x{height}" if width and height else None


def int_pair(value: Any) -> tuple[int | None, int | None]:
    numbers = re.findall(r"\d+", str(value or ""))
    return (int(numbers[0]), int(numbers[1])) if len(numbers) >= 2 else (None, None)
