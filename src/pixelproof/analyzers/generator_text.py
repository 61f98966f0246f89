"""Generation settings that image generators write into their own output files.

AUTOMATIC1111-style ``parameters`` (also written by Forge, SD.Next, Civitai and trainers),
ComfyUI ``prompt``/``workflow`` graphs, InvokeAI (every version), Fooocus, SwarmUI,
NovelAI (including the "stealth" copy hidden in the alpha channel's low bits) and Draw
Things XMP. Finding one is decisive: cameras and photo editors never write a sampler, a
seed and a checkpoint name. It can be forged, but only on purpose.
"""

import json
import re
import shlex
import zlib
from collections.abc import Callable
from itertools import pairwise
from typing import Any, Literal

import numpy as np
from PIL import ExifTags
from pydantic import BaseModel, Field

from ..evidence import Evidence, GeneratorGuess, Signal
from ..media import Media
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer
from .carriers import MAX_TEXT_BYTES, TextChunk, decode_user_comment, parse_xmp, png_text_chunks, xmp_packet
from .families import UNKNOWN, family_for
from .registry import register

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


class GeneratorTextEvidence(Evidence):
    generations: list[Generation] = Field(default_factory=list)  # in the order found; first is the main one
    png_text: list[str] = Field(default_factory=list)  # every PNG tEXt/zTXt/iTXt keyword, in file order

    def signals(self) -> list[Signal]:
        return [g.signal() for g in self.generations]


@register
class GeneratorTextAnalyzer(Analyzer):
    name = "generator_text"
    version = "1.0.0"
    evidence_model = GeneratorTextEvidence
    description = "Generation settings written by A1111/Forge, ComfyUI, InvokeAI, Fooocus, NovelAI, Draw Things."

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> GeneratorTextEvidence:
        chunks = png_text_chunks(media.data)
        generations = _from_png_text(chunks)
        generations += _from_exif(media)
        generations += _from_xmp(media, chunks)
        if not generations and media.meta.format in ("png", "webp"):
            generations += _from_stealth(media)
        return GeneratorTextEvidence(generations=generations, png_text=[c.keyword for c in chunks])


# --- where the texts are ---------------------------------------------------------------

Texts = dict[str, Any]  # key → text, or JSON already parsed


def _from_png_text(chunks: list[TextChunk]) -> list[Generation]:
    texts: Texts = {}
    late: set[str] = set()
    for chunk in chunks:
        texts.setdefault(chunk.keyword, chunk.text)
        if chunk.after_idat:
            late.add(chunk.keyword)
    return _recognise(texts, lambda keys: "png-text-after-idat" if late & set(keys) else "png-text")


def _from_exif(media: Media) -> list[Generation]:
    exif = media.image.getexif()
    found: list[Generation] = []
    comment = decode_user_comment(exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.UserComment))
    if comment:
        carrier = "png-exif-usercomment" if media.meta.format == "png" else "exif-usercomment"
        texts = _comment_texts(comment)
        scheme = _fooocus_scheme(exif)
        if scheme:
            texts.setdefault("fooocus_scheme", scheme)
        found += _recognise(texts, lambda keys: carrier)
    ifd0_comment = decode_user_comment(exif.get(ExifTags.Base.UserComment))
    if ifd0_comment:
        found += _recognise(_comment_texts(ifd0_comment), lambda keys: "exif-ifd0-usercomment")
    # ComfyUI's WebP saver: Model = "prompt:{…}", Make = "workflow:{…}".
    labelled = {}
    for tag in (ExifTags.Base.Make, ExifTags.Base.Model, ExifTags.Base.ImageDescription):
        match = _LABELLED.match(str(exif.get(tag) or ""))
        if match:
            labelled[match.group(1).lower()] = match.group(2)
    if labelled:
        found += _recognise(labelled, lambda keys: "exif-ifd0")
    file_comment = decode_user_comment(media.image.info.get("comment"))  # JPEG COM, GIF comment
    if file_comment:
        found += _recognise(_comment_texts(file_comment), lambda keys: "comment")
    return found


_LABELLED = re.compile(r"^(prompt|workflow):\s*([\[{].*)$", re.DOTALL | re.IGNORECASE)


def _fooocus_scheme(exif) -> str | None:
    """Fooocus keeps its metadata scheme name where cameras keep their MakerNote."""
    note = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.MakerNote)
    if isinstance(note, bytes) and note in (b"fooocus", b"a1111"):
        return note.decode()
    return None


def _comment_texts(comment: str) -> Texts:
    """A UserComment holds A1111 text, a ComfyUI {prompt, workflow} pair, or one graph/JSON."""
    data = _json(comment)
    if not isinstance(data, dict):
        return {"parameters": comment}
    if isinstance(data.get("prompt"), dict | str) and ("workflow" in data or _is_graph(_json(data["prompt"]))):
        return {key: data[key] for key in ("prompt", "workflow") if key in data}
    if _is_graph(data):
        return {"prompt": data}
    return {"parameters": data}


def _from_xmp(media: Media, chunks: list[TextChunk]) -> list[Generation]:
    packet = xmp_packet(media.image, chunks)
    if not packet or b"Draw Things" not in (packet if isinstance(packet, bytes) else packet.encode()):
        return []
    xmp = parse_xmp(packet)
    if not any("draw things" in tool.lower() for tool in xmp.get("xmp:CreatorTool", [])):
        return []
    settings = _json((xmp.get("exif:UserComment") or [""])[0])
    settings = settings if isinstance(settings, dict) else {}
    description = (xmp.get("dc:description") or [""])[0]
    prompt, negative, params = _split_a1111(description)
    model = settings.get("model") or params.get("Model")
    return [
        _generation(
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


# "Stealth pnginfo" (A1111 extension, NovelAI): 15-byte magic, 32-bit bit count, payload,
# one bit per pixel in the alpha channel's least significant bit, read column by column.
_STEALTH_MAGIC = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}  # magic → gzipped
_MAGIC_BITS = 15 * 8


def _from_stealth(media: Media) -> list[Generation]:
    image = media.image
    if image.mode not in ("RGBA", "LA") or image.width * image.height < _MAGIC_BITS + 32:
        return []
    magic = _alpha_bytes(image, 0, _MAGIC_BITS)
    if magic not in _STEALTH_MAGIC:
        return []
    n_bits = int.from_bytes(_alpha_bytes(image, _MAGIC_BITS, 32), "big")
    available = image.width * image.height - _MAGIC_BITS - 32
    if not 0 < n_bits <= min(available, MAX_TEXT_BYTES * 8):
        return []
    payload = _alpha_bytes(image, _MAGIC_BITS + 32, n_bits)
    if _STEALTH_MAGIC[magic]:
        try:
            payload = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(payload, MAX_TEXT_BYTES)
        except zlib.error:
            return []
    text = payload.decode("utf-8", "replace")
    data = _json(text)
    texts = data if isinstance(data, dict) and "Software" in data else {"parameters": text}
    return _recognise(texts, lambda keys: "alpha-lsb")


def _alpha_bytes(image, start: int, count: int) -> bytes:
    """``count`` bits from the alpha LSBs in column-major order, cropping only the columns needed."""
    height = image.height
    first, last = start // height, (start + count - 1) // height
    alpha = np.asarray(image.crop((first, 0, last + 1, height)).getchannel("A"))
    bits = (alpha.T.reshape(-1) & 1)[start - first * height :][:count]
    return np.packbits(bits).tobytes()


# --- what the texts say ----------------------------------------------------------------


def _recognise(texts: Texts, carrier: Callable[[list[str]], str]) -> list[Generation]:
    """Every convention present in one carrier's texts; ComfyUI before the A1111 text it may add."""
    found = []
    for reader in (_comfyui, _invokeai, _novelai, _parameters):
        generation = reader(texts)
        if generation is not None:
            generation.carrier = carrier(generation.fields)
            found.append(generation)
    return found


def _parameters(texts: Texts) -> Generation | None:
    value = texts.get("parameters")
    data = _json(value)
    scheme = texts.get("fooocus_scheme")
    if isinstance(data, dict) and isinstance(data.get("sui_image_params"), dict):
        return _swarmui(data["sui_image_params"])
    if isinstance(data, dict) and ("base_model" in data or scheme == "fooocus"):
        return _fooocus(data, ["parameters"] + (["fooocus_scheme"] if scheme else []))
    if isinstance(value, str):
        return _a1111(value, ["parameters"] + (["fooocus_scheme"] if scheme else []))
    return None


_STEPS_LINE = re.compile(r"(?:^|,\s*)Steps:\s*\d+")
_KEY = re.compile(r"\s*([^:,\n]+?):\s*")


def _a1111(text: str, fields: list[str]) -> Generation | None:
    prompt, negative, params = _split_a1111(text)
    if not params:
        return None
    models = [params.get("Model")]
    resources = _json(params.get("Civitai resources"))
    if isinstance(resources, list):
        models += [r.get("modelName") for r in resources if isinstance(r, dict) and r.get("type") == "checkpoint"]
    hashes = _json(params.get("Hashes"))
    if isinstance(hashes, dict):
        models += [key.split(":", 1)[1] for key in hashes if key.lower().startswith("model:")]
    return _generation(
        "automatic1111",
        fields,
        app=_a1111_app(params),
        models=models,
        sampler=params.get("Sampler"),
        scheduler=params.get("Schedule type"),
        steps=params.get("Steps"),
        seed=params.get("Seed"),
        cfg_scale=params.get("CFG scale"),
        size=params.get("Size"),
        prompt=prompt,
        negative_prompt=negative,
        version=params.get("Version"),
    )


def _split_a1111(text: str) -> tuple[str, str | None, dict[str, str]]:
    """Prompt, negative prompt and the settings line (the last line that has ``Steps: N``)."""
    lines = text.strip().split("\n")
    index = next((i for i in range(len(lines) - 1, -1, -1) if _STEPS_LINE.search(lines[i])), None)
    if index is None:
        return text, None, {}
    prompt_lines, negative_lines, target = [], [], None
    for line in lines[:index]:
        if line.startswith("Negative prompt:"):
            target = negative_lines
            line = line[len("Negative prompt:") :].lstrip()
        (prompt_lines if target is None else target).append(line)
    negative = "\n".join(negative_lines).strip() if target is not None else None
    return "\n".join(prompt_lines).strip(), negative, _settings_line(lines[index])


def _settings_line(line: str) -> dict[str, str]:
    """``Key: value, Key: "quoted, value", Key: [json, list]`` → dict (A1111's own regex splits JSON)."""
    params: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        match = _KEY.match(line, pos)
        if not match:
            comma = line.find(",", pos)
            if comma < 0:
                break
            pos = comma + 1
            continue
        key, pos = match.group(1).strip(), match.end()
        end = _value_end(line, pos)
        value = line[pos:end].strip()
        if len(value) > 1 and value[0] == '"' == value[-1]:
            unquoted = _json(value)
            value = unquoted if isinstance(unquoted, str) else value[1:-1]
        params.setdefault(key, value)
        pos = end + 1
    return params


def _value_end(line: str, pos: int) -> int:
    """Index of the comma ending the value at ``pos``, respecting quotes and brackets."""
    depth, quoted, escaped = 0, False, False
    for i in range(pos, len(line)):
        char = line[i]
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            return i
    return len(line)


def _a1111_app(params: dict[str, str]) -> str | None:
    app, version = params.get("App", ""), params.get("Version", "")
    if app:
        return "sdnext" if app.lower().replace(".", "") == "sdnext" else app.lower()
    if "Civitai resources" in params or "Civitai metadata" in params:
        return "civitai"
    if re.match(r"f\d", version):
        return "forge"
    for name in ("comfyui", "fooocus"):
        if version.lower().startswith(name):
            return name
    return None


def _fooocus(data: dict, fields: list[str]) -> Generation:
    width, height = _pair(data.get("resolution"))
    refiner = data.get("refiner_model")
    return _generation(
        "fooocus",
        fields,
        models=[data.get("base_model"), refiner if refiner not in (None, "None") else None],
        sampler=data.get("sampler"),
        scheduler=data.get("scheduler"),
        steps=data.get("steps"),
        seed=data.get("seed"),
        cfg_scale=data.get("guidance_scale"),
        size=f"{width}x{height}" if width else None,
        prompt=data.get("prompt"),
        negative_prompt=data.get("negative_prompt"),
        version=data.get("version"),
    )


def _swarmui(params: dict) -> Generation:
    width, height = params.get("width"), params.get("height")
    return _generation(
        "swarmui",
        ["parameters"],
        models=[params.get("model")],
        sampler=params.get("sampler"),
        scheduler=params.get("scheduler"),
        steps=params.get("steps"),
        seed=params.get("seed"),
        cfg_scale=params.get("cfgscale"),
        size=f"{width}x{height}" if width and height else None,
        prompt=params.get("prompt"),
        negative_prompt=params.get("negativeprompt"),
        version=params.get("swarm_version"),
    )


_MODEL_INPUTS = ("ckpt_name", "unet_name")
_LOADER = re.compile(r"checkpoint|unet|diffusion", re.IGNORECASE)


def _comfyui(texts: Texts) -> Generation | None:
    graph = _json(texts.get("prompt"))
    if _is_graph(graph):  # the API graph says all we need; the UI workflow is parsed only without it
        return _comfyui_graph(graph, [key for key in ("prompt", "workflow") if key in texts])
    workflow = _json(texts.get("workflow"))
    if isinstance(workflow, dict) and isinstance(workflow.get("nodes"), list):
        models = [
            node["widgets_values"][0]
            for node in workflow["nodes"]
            if isinstance(node, dict)
            and _LOADER.search(str(node.get("type", "")))
            and isinstance(node.get("widgets_values"), list)
            and node["widgets_values"]
            and isinstance(node["widgets_values"][0], str)
        ]
        return _generation("comfyui", ["workflow"], models=models)
    return None


def _is_graph(data: Any) -> bool:
    return isinstance(data, dict) and any(
        isinstance(node, dict) and "class_type" in node and isinstance(node.get("inputs"), dict)
        for node in data.values()
    )


def _comfyui_graph(graph: dict, fields: list[str]) -> Generation:
    """A ComfyUI API graph: node id → {class_type, inputs}; inputs are values or [node, slot] links."""
    nodes = [n for n in graph.values() if isinstance(n, dict) and isinstance(n.get("inputs"), dict)]
    models, hints = [], []
    for node in nodes:
        kind = str(node.get("class_type", ""))
        for key, value in node["inputs"].items():
            if isinstance(value, str) and (
                key.endswith(_MODEL_INPUTS) or (key == "model_name" and _LOADER.search(kind))
            ):
                models.append(value)
        if "loader" in kind.lower():
            hints += [kind] + [v for k, v in node["inputs"].items() if k in ("type", "model") and isinstance(v, str)]
    extra = _json(graph.get("extraMetadata"))
    extra = extra if isinstance(extra, dict) else {}
    sampler = next((n for n in nodes if isinstance(n["inputs"].get("positive"), list)), None)
    civitai = any(str(key).startswith("resource-stack") for key in graph) or bool(extra)
    return _generation(
        "comfyui",
        fields,
        app="civitai" if civitai else None,
        models=models,
        hints=hints,
        sampler=_first(nodes, "sampler_name") or extra.get("sampler"),
        scheduler=_first(nodes, "scheduler"),
        steps=_first(nodes, "steps") or extra.get("steps"),
        seed=_first(nodes, "seed", "noise_seed") or extra.get("seed"),
        cfg_scale=_first(nodes, "cfg") or extra.get("cfgScale"),
        size=_size(_first(nodes, "width"), _first(nodes, "height")),
        prompt=_linked_text(graph, sampler, "positive") or extra.get("prompt") or _first_prompt(nodes),
        negative_prompt=_linked_text(graph, sampler, "negative") or extra.get("negativePrompt"),
    )


def _first(nodes: list[dict], *keys: str) -> Any:
    """The first literal (not a link) value of any of ``keys`` across the graph's nodes."""
    for node in nodes:
        for key in keys:
            value = node["inputs"].get(key)
            if value is not None and not isinstance(value, list | dict):
                return value
    return None


def _linked_text(graph: dict, node: dict | None, slot: str, depth: int = 3) -> str | None:
    """Follow a sampler's positive/negative link to the text its encoder (or a text node) holds."""
    link = node["inputs"].get(slot) if node else None
    for _ in range(depth):
        if not (isinstance(link, list) and link and str(link[0]) in graph):
            return None
        inputs = graph[str(link[0])].get("inputs") or {}
        for key in ("text", "text_g", "prompt", "string", "value", "conditioning"):
            value = inputs.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list):
                link = value
                break
        else:
            return None
    return None


def _first_prompt(nodes: list[dict]) -> str | None:
    for node in nodes:
        if "TextEncode" in str(node.get("class_type", "")) and isinstance(node["inputs"].get("text"), str):
            return node["inputs"]["text"]
    return None


def _invokeai(texts: Texts) -> Generation | None:
    keys = [k for k in ("invokeai_metadata", "invokeai_graph", "sd-metadata", "Dream") if k in texts]
    if not keys:
        return None
    meta = _json(texts.get("invokeai_metadata"))
    if isinstance(meta, dict):
        model = meta.get("model")
        return _generation(
            "invokeai",
            keys,
            models=[(model.get("model_name") or model.get("name")) if isinstance(model, dict) else model],
            hints=[model.get("base_model") or model.get("base")] if isinstance(model, dict) else [],
            sampler=meta.get("scheduler"),
            steps=meta.get("steps"),
            seed=meta.get("seed"),
            cfg_scale=meta.get("cfg_scale"),
            size=_size(meta.get("width"), meta.get("height")),
            prompt=meta.get("positive_prompt"),
            negative_prompt=meta.get("negative_prompt"),
            version=meta.get("app_version"),
        )
    legacy = _json(texts.get("sd-metadata"))
    if isinstance(legacy, dict):
        image = legacy.get("image") if isinstance(legacy.get("image"), dict) else {}
        prompt = image.get("prompt")
        if isinstance(prompt, list):
            prompt = " ".join(p.get("prompt", "") for p in prompt if isinstance(p, dict))
        return _generation(
            "invokeai",
            keys,
            models=[legacy.get("model_weights")],
            sampler=image.get("sampler"),
            steps=image.get("steps"),
            seed=image.get("seed"),
            cfg_scale=image.get("cfg_scale"),
            size=_size(image.get("width"), image.get("height")),
            prompt=prompt,
            version=legacy.get("app_version"),
        )
    if isinstance(texts.get("Dream"), str):
        return _dream(texts["Dream"], keys)
    graph = _json(texts.get("invokeai_graph"))
    models = []
    if isinstance(graph, dict) and isinstance(graph.get("nodes"), dict):
        for node in graph["nodes"].values():
            model = node.get("model") if isinstance(node, dict) else None
            if isinstance(model, dict):
                models.append(model.get("model_name") or model.get("name"))
    return _generation("invokeai", keys, models=models)


_DREAM_OPTIONS = {"-s": "steps", "-S": "seed", "-W": "width", "-H": "height", "-C": "cfg_scale", "-A": "sampler"}


def _dream(command: str, keys: list[str]) -> Generation:
    """InvokeAI 2.x ``"prompt" -s 50 -S 42 -W 512 -H 768 -C 7.5 -A k_lms``."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    options = {_DREAM_OPTIONS[flag]: value for flag, value in pairwise(words[1:]) if flag in _DREAM_OPTIONS}
    return _generation(
        "invokeai",
        keys,
        sampler=options.get("sampler"),
        steps=options.get("steps"),
        seed=options.get("seed"),
        cfg_scale=options.get("cfg_scale"),
        size=_size(options.get("width"), options.get("height")),
        prompt=words[0] if words else None,
    )


def _novelai(texts: Texts) -> Generation | None:
    if not str(texts.get("Software", "")).strip().lower().startswith("novelai"):
        return None
    comment = _json(texts.get("Comment"))
    comment = comment if isinstance(comment, dict) else {}
    source = texts.get("Source")
    return _generation(
        "novelai",
        [k for k in ("Title", "Description", "Software", "Source", "Comment") if k in texts],
        models=[source if isinstance(source, str) else None],
        hints=["NovelAI"],
        sampler=comment.get("sampler"),
        steps=comment.get("steps"),
        seed=comment.get("seed"),
        cfg_scale=comment.get("scale"),
        size=_size(comment.get("width"), comment.get("height")),
        prompt=comment.get("prompt") or texts.get("Description"),
        negative_prompt=comment.get("uc"),
    )


# --- cleaning ----------------------------------------------------------------------------


def _generation(tool: Tool, fields: list[str], *, carrier="", models=(), hints=(), **values) -> Generation:
    """Build a record from loosely typed values: bad numbers become None, long prompts are cut.

    ``carrier`` is left to ``_recognise`` when the same reader serves several carriers.
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
        sampler=_text(values.get("sampler"), 200),
        scheduler=_text(values.get("scheduler"), 200),
        steps=_int(values.get("steps")),
        seed=_int(values.get("seed")),
        cfg_scale=_float(values.get("cfg_scale")),
        size=_text(values.get("size"), 40),
        prompt=_text(values.get("prompt"), PROMPT_LIMIT),
        negative_prompt=_text(values.get("negative_prompt"), PROMPT_LIMIT),
        version=_text(values.get("version"), 200),
    )


def _json(value: Any) -> Any:
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[", '"')):
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _text(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:limit] or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _float(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _size(width: Any, height: Any) -> str | None:
    width, height = _int(width), _int(height)
    return f"{width}x{height}" if width and height else None


def _pair(value: Any) -> tuple[int | None, int | None]:
    numbers = re.findall(r"\d+", str(value or ""))
    return (int(numbers[0]), int(numbers[1])) if len(numbers) >= 2 else (None, None)
