"""Generator text chunks: files built here the way each generator writes them, then the real-world fixtures."""

import base64
import gzip
import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from pixelproof.analyzers.carriers import MAX_TEXT_BYTES, png_text_chunks
from pixelproof.analyzers.generator_text import PROMPT_LIMIT, GeneratorTextEvidence
from pixelproof.errors import CorruptMedia
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.shared import SHARED, expectations, fixture_rows

ENGINE = Engine(Settings(max_upload_bytes=50 * 1024 * 1024))  # default min_side: 1 px files still get provenance

A1111 = (
    "a duck on a pond, golden hour\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1234567890, Size: 832x1216, "
    'Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Lora hashes: "duck: 0a1b2c, pond: 3d4e5f", Version: v1.10.1'
)
COMFY_GRAPH = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "juggernautXL_v9.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ["10", 0], "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "ugly, watermark", "clip": ["4", 1]}},
    "10": {"class_type": "PrimitiveString", "inputs": {"value": "a red fox in the snow"}},
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 99887766554433,
            "steps": 30,
            "cfg": 7.0,
            "sampler_name": "dpmpp_2m",
            "scheduler": "karras",
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
    },
}
COMFY_WORKFLOW = {
    "nodes": [{"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["juggernautXL_v9.safetensors"]}]
}


def _analyze(data: bytes):
    report = ENGINE.analyze(data, only=["generator_text"])
    section = report.analyzers["generator_text"]
    assert section.status == "processed", section.reason
    return report, GeneratorTextEvidence(**section.evidence)


def _png(texts: dict[str, str] | None = None, *, mode: str = "RGB", compressed: bool = False, itxt: bool = False):
    info = PngImagePlugin.PngInfo()
    for key, value in (texts or {}).items():
        if itxt:
            info.add_itxt(key, value, zip=compressed)
        else:
            info.add_text(key, value, zip=compressed)
    buf = io.BytesIO()
    Image.new(mode, (32, 32), (90, 120, 200, 255)[: len(mode)]).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _before_iend(png: bytes, *chunks: bytes) -> bytes:
    """Append chunks after the image data, as some writers (wrongly) do."""
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + b"".join(chunks) + png[iend:]


def _unicode_comment(text: str, encoding: str = "utf-16-be") -> bytes:
    return b"UNICODE\x00" + text.encode(encoding)


def _with_exif(fmt: str, *, user_comment=None, ifd0: dict | None = None) -> bytes:
    image = Image.new("RGB", (32, 32), (10, 200, 30))
    exif = image.getexif()
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    if user_comment is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.UserComment] = user_comment
    buf = io.BytesIO()
    image.save(buf, fmt, exif=exif.tobytes())
    return buf.getvalue()


def _stealth_png(payload: bytes, magic: bytes, size=(48, 64)) -> bytes:
    """A1111's stealth pnginfo: magic, 32-bit bit count, payload, in alpha LSBs column by column."""
    data = magic + struct.pack(">I", len(payload) * 8) + payload
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    width, height = size
    alpha = np.full((width, height), 255, dtype=np.uint8).reshape(-1)  # column-major: transposed below
    alpha[: bits.size] = 254 | bits
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., :3] = 128
    rgba[..., 3] = alpha.reshape(width, height).T
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return buf.getvalue()


def test_a1111_png_parameters_are_decisive_and_fully_parsed():
    report, evidence = _analyze(_png({"parameters": A1111}))
    [gen] = evidence.generations
    assert (gen.tool, gen.carrier, gen.fields) == ("automatic1111", "png-text", ["parameters"])
    assert gen.models == ["sd_xl_base_1.0"] and gen.family == "stable_diffusion"
    assert (gen.sampler, gen.scheduler, gen.steps, gen.seed) == ("DPM++ 2M", "Karras", 28, 1234567890)
    assert (gen.cfg_scale, gen.size, gen.version) == (6.5, "832x1216", "v1.10.1")
    assert (gen.prompt, gen.negative_prompt) == ("a duck on a pond, golden hour", "blurry, lowres")
    assert evidence.png_text == ["parameters"]
    [signal] = report.analyzers["generator_text"].signals
    assert (signal.points_to, signal.strength, signal.generator.family) == ("ai", "decisive", "stable_diffusion")
    assert "sd_xl_base_1.0" in signal.summary and "AUTOMATIC1111" in signal.summary
    assert report.verdict.label == "ai" and report.verdict.decided_by == "generator_text"


@pytest.mark.parametrize(
    ("settings_line", "app", "model"),
    [
        (
            "Steps: 20, Sampler: Euler a, Seed: 1, Model: flux1-dev-bnb-nf4, Version: f2.0.1v1.10.1-previous-1",
            "forge",
            "flux1-dev-bnb-nf4",
        ),
        ("Steps: 20, Size: 768x1024, Seed: 5, Model: Chroma, App: SD.Next, Version: 0d7c025", "sdnext", "Chroma"),
        (
            'Steps: 40, Sampler: Euler a, Seed: 7, Civitai resources: [{"type":"checkpoint","modelName":"Toonify",'
            '"modelVersionName":"v2"},{"type":"lora","modelName":"x"}], Created Date: 2024-05-18T11:28:26Z',
            "civitai",
            "Toonify",
        ),
    ],
)
def test_a1111_apps_are_told_apart(settings_line, app, model):
    _, evidence = _analyze(_png({"parameters": f"a prompt\n{settings_line}"}))
    [gen] = evidence.generations
    assert (gen.tool, gen.app) == ("automatic1111", app)
    assert model in gen.models


@pytest.mark.parametrize(("fmt", "encoding"), [("JPEG", "utf-16-be"), ("JPEG", "utf-16-le"), ("WEBP", "utf-16-be")])
def test_a1111_in_exif_user_comment_unicode(fmt, encoding):
    _, evidence = _analyze(_with_exif(fmt, user_comment=_unicode_comment(A1111, encoding)))
    [gen] = evidence.generations
    assert (gen.tool, gen.carrier, gen.models, gen.seed) == (
        "automatic1111",
        "exif-usercomment",
        ["sd_xl_base_1.0"],
        1234567890,
    )


def test_a1111_in_a_png_exif_chunk():
    image = Image.new("RGB", (32, 32))
    exif = image.getexif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.UserComment] = _unicode_comment(A1111)
    buf = io.BytesIO()
    image.save(buf, "PNG", exif=exif.tobytes())  # a sub-IFD-only Exif object is falsy to Pillow
    _, evidence = _analyze(buf.getvalue())
    assert evidence.generations[0].carrier == "png-exif-usercomment"


@pytest.mark.parametrize(("compressed", "itxt"), [(True, False), (False, True), (True, True)])
def test_compressed_and_international_text_chunks(compressed, itxt):
    _, evidence = _analyze(
        _png({"parameters": A1111.replace("a duck", "ein Entlein, 鸭子")}, compressed=compressed, itxt=itxt)
    )
    assert evidence.generations[0].prompt.startswith("ein Entlein, 鸭子")


def test_text_after_the_image_data_is_still_read():
    late = _chunk(b"tEXt", b"parameters\x00" + A1111.encode("latin-1"))
    _, evidence = _analyze(_before_iend(_png({"Title": "x"}), late))
    assert evidence.png_text == ["Title", "parameters"]
    [gen] = evidence.generations
    assert (gen.tool, gen.carrier) == ("automatic1111", "png-text-after-idat")


def test_comfyui_png_prompt_and_workflow():
    texts = {"prompt": json.dumps(COMFY_GRAPH), "workflow": json.dumps(COMFY_WORKFLOW), "parameters": A1111}
    report, evidence = _analyze(_png(texts))
    comfy, a1111 = evidence.generations
    assert (comfy.tool, comfy.fields, a1111.tool) == ("comfyui", ["prompt", "workflow"], "automatic1111")
    assert comfy.models == ["juggernautXL_v9.safetensors"] and comfy.family == "stable_diffusion"
    assert (comfy.seed, comfy.steps, comfy.cfg_scale, comfy.sampler, comfy.scheduler) == (
        99887766554433,
        30,
        7.0,
        "dpmpp_2m",
        "karras",
    )
    assert (comfy.size, comfy.prompt, comfy.negative_prompt) == ("1024x768", "a red fox in the snow", "ugly, watermark")
    assert report.verdict.generator.detail == "juggernautXL_v9.safetensors"


def test_comfyui_flux_unet_and_ui_workflow_only():
    graph = {
        "12": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors", "weight_dtype": "fp8"}},
        "11": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "t5xxl.safetensors", "type": "flux"}},
    }
    _, evidence = _analyze(_png({"prompt": json.dumps(graph)}))
    assert (evidence.generations[0].models, evidence.generations[0].family) == (["flux1-dev.safetensors"], "flux")
    _, evidence = _analyze(_png({"workflow": json.dumps(COMFY_WORKFLOW)}))
    assert evidence.generations[0].models == ["juggernautXL_v9.safetensors"]


def test_comfyui_jpeg_ifd0_user_comment_and_webp_make_model():
    pair = json.dumps({"prompt": COMFY_GRAPH, "workflow": COMFY_WORKFLOW})
    _, evidence = _analyze(_with_exif("JPEG", ifd0={ExifTags.Base.UserComment: pair}))
    assert (evidence.generations[0].tool, evidence.generations[0].carrier) == ("comfyui", "exif-ifd0-usercomment")
    ifd0 = {
        ExifTags.Base.Model: "prompt:" + json.dumps(COMFY_GRAPH),
        ExifTags.Base.Make: "workflow:" + json.dumps(COMFY_WORKFLOW),
    }
    _, evidence = _analyze(_with_exif("WEBP", ifd0=ifd0))
    [gen] = evidence.generations
    assert (gen.tool, gen.carrier, gen.models) == ("comfyui", "exif-ifd0", ["juggernautXL_v9.safetensors"])


def test_civitai_comfy_graph_in_user_comment():
    graph = {
        "resource-stack": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "urn:air:sdxl:checkpoint:civitai:1@2"},
        },
        "extraMetadata": json.dumps({"prompt": "a snake", "steps": 30, "cfgScale": 3.5, "seed": 42}),
    }
    _, evidence = _analyze(_with_exif("JPEG", user_comment=_unicode_comment(json.dumps(graph))))
    [gen] = evidence.generations
    assert (gen.tool, gen.app, gen.family, gen.prompt, gen.seed) == (
        "comfyui",
        "civitai",
        "stable_diffusion",
        "a snake",
        42,
    )


def test_invokeai_every_format():
    metadata = {
        "positive_prompt": "oil painting",
        "seed": 3293022630,
        "steps": 35,
        "cfg_scale": 8.0,
        "scheduler": "euler",
        "width": 1024,
        "height": 1024,
        "model": {"model_name": "juggernautXL", "base_model": "sdxl"},
    }
    _, evidence = _analyze(_png({"invokeai_metadata": json.dumps(metadata)}))
    gen = evidence.generations[0]
    assert (gen.tool, gen.models, gen.seed, gen.size, gen.prompt) == (
        "invokeai",
        ["juggernautXL"],
        3293022630,
        "1024x1024",
        "oil painting",
    )

    dream = '"a castle on a hill" -s 50 -S 2980747362 -W 512 -H 768 -C 5 -A k_lms'
    legacy = {
        "model_weights": "deliberate_v2",
        "app_version": "2.3.0",
        "image": {"prompt": [{"prompt": "a castle"}], "seed": 1},
    }
    _, evidence = _analyze(_png({"Dream": dream, "sd-metadata": json.dumps(legacy)}))
    gen = evidence.generations[0]
    assert (gen.tool, gen.models, gen.version, gen.fields) == (
        "invokeai",
        ["deliberate_v2"],
        "2.3.0",
        ["sd-metadata", "Dream"],
    )

    _, evidence = _analyze(_png({"Dream": dream}))
    gen = evidence.generations[0]
    assert (gen.prompt, gen.steps, gen.seed, gen.size, gen.cfg_scale, gen.sampler) == (
        "a castle on a hill",
        50,
        2980747362,
        "512x768",
        5.0,
        "k_lms",
    )

    graph = {"nodes": {"main_model_loader": {"model": {"name": "dreamshaper_8", "base": "sd-1"}}}}
    _, evidence = _analyze(_png({"invokeai_graph": json.dumps(graph)}))
    assert evidence.generations[0].models == ["dreamshaper_8"]


def test_fooocus_parameters_json():
    params = {
        "base_model": "juggernautXL_v8Rundiffusion",
        "refiner_model": "None",
        "prompt": "a goldfish",
        "seed": "69524115",
        "steps": 30,
        "sampler": "dpmpp_2m_sde_gpu",
        "resolution": "(768, 1280)",
        "version": "Fooocus v2.4.3",
    }
    _, evidence = _analyze(_png({"parameters": json.dumps(params), "fooocus_scheme": "fooocus"}))
    [gen] = evidence.generations
    assert (gen.tool, gen.models, gen.seed, gen.size, gen.version) == (
        "fooocus",
        ["juggernautXL_v8Rundiffusion"],
        69524115,
        "768x1280",
        "Fooocus v2.4.3",
    )


NOVELAI = {
    "Title": "AI generated image",
    "Description": "masterpiece, a cat in space",
    "Software": "NovelAI",
    "Source": "NovelAI Diffusion V4.5 4BDE2A90",
    "Comment": json.dumps(
        {"steps": 28, "sampler": "k_euler_ancestral", "seed": 2253955223, "scale": 5.0, "uc": "lowres"}
    ),
}


def test_novelai_text_chunks():
    _, evidence = _analyze(_png(NOVELAI))
    [gen] = evidence.generations
    assert (gen.tool, gen.models, gen.family, gen.seed, gen.cfg_scale) == (
        "novelai",
        ["NovelAI Diffusion V4.5 4BDE2A90"],
        "other",
        2253955223,
        5.0,
    )
    assert (gen.prompt, gen.negative_prompt) == ("masterpiece, a cat in space", "lowres")


def test_stealth_metadata_in_alpha_lsbs():
    novelai = gzip.compress(json.dumps(NOVELAI).encode())
    _, evidence = _analyze(_stealth_png(novelai, b"stealth_pngcomp"))
    [gen] = evidence.generations
    assert (gen.tool, gen.carrier, gen.seed) == ("novelai", "alpha-lsb", 2253955223)
    _, evidence = _analyze(_stealth_png(A1111.encode(), b"stealth_pnginfo", size=(40, 160)))
    [gen] = evidence.generations
    assert (gen.tool, gen.carrier, gen.models) == ("automatic1111", "alpha-lsb", ["sd_xl_base_1.0"])


def test_alpha_without_the_magic_and_rgb_images_say_nothing():
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 256, (64, 64, 4), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noisy, "RGBA").save(buf, "PNG")
    assert _analyze(buf.getvalue())[1].generations == []
    assert _analyze(_png(mode="RGB"))[1].generations == []


def test_draw_things_xmp():
    settings = {
        "c": "a robot with a fish bowl head",
        "model": "flux_1_dev_q8p.ckpt",
        "sampler": "Euler A Trailing",
        "seed": 2050777441,
        "steps": 26,
        "scale": 3.5,
        "size": "768x1024",
    }
    escaped = json.dumps(settings).replace('"', "&quot;")
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:exif="http://ns.adobe.com/exif/1.0/"><xmp:CreatorTool>Draw Things</xmp:CreatorTool>'
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">a robot&#xA;Steps: 26, Sampler: Euler A Trailing, '
        "Seed: 2050777441, Model: flux_1_dev_q8p.ckpt</rdf:li></rdf:Alt></dc:description>"
        f'<exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">{escaped}'
        "</rdf:li></rdf:Alt></exif:UserComment></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    _, evidence = _analyze(_png({"XML:com.adobe.xmp": xmp}, itxt=True))
    [gen] = evidence.generations
    assert (gen.tool, gen.carrier, gen.models, gen.family) == ("drawthings", "xmp", ["flux_1_dev_q8p.ckpt"], "flux")
    assert (gen.prompt, gen.seed, gen.steps, gen.cfg_scale, gen.size) == (
        "a robot with a fish bowl head",
        2050777441,
        26,
        3.5,
        "768x1024",
    )


def test_long_prompts_are_truncated():
    _, evidence = _analyze(_png({"parameters": "word " * 5000 + "\nSteps: 20, Seed: 1, Model: m"}))
    assert len(evidence.generations[0].prompt) == PROMPT_LIMIT


@pytest.mark.parametrize(
    "texts",
    [
        {"prompt": "{not json", "workflow": "[1, 2"},
        {"parameters": "just a caption, no settings"},
        {"prompt": "[" * 100_000},  # recursion bomb
        {"invokeai_metadata": '{"model": 5, "seed": "x", "steps": [1]}', "sd-metadata": "null"},
        {"Software": "NovelAI", "Comment": "{broken"},
    ],
)
def test_malformed_generator_text_never_crashes(texts):
    _, evidence = _analyze(_png(texts))
    assert all(g.tool in ("invokeai", "novelai") for g in evidence.generations)


def test_zlib_bombs_are_cut_at_the_limit():
    # Pillow itself refuses to decode a PNG with such a chunk, so the reader is checked on the bytes.
    bomb = _chunk(b"zTXt", b"parameters\x00\x00" + zlib.compress(b"a" * (MAX_TEXT_BYTES + 4096), 9))
    [chunk] = png_text_chunks(_before_iend(_png(), bomb))
    assert (chunk.keyword, len(chunk.text), chunk.after_idat) == ("parameters", MAX_TEXT_BYTES, True)


def test_a_chunk_running_past_the_end_is_read_as_far_as_it_goes():
    truncated = struct.pack(">I", 10_000_000) + b"tEXt" + b"parameters\x00" + A1111.encode()
    png = _png({"Title": "ok"})
    damaged = png[: png.rindex(b"IEND") - 4] + truncated
    assert [c.keyword for c in png_text_chunks(damaged)] == ["Title", "parameters"]
    with pytest.raises(CorruptMedia):  # the decoder refuses the file with a typed error, before any analyzer
        ENGINE.analyze(damaged)


def test_a_plain_photo_has_no_generator_text():
    report, evidence = _analyze(_with_exif("JPEG", ifd0={ExifTags.Base.Make: "Canon", ExifTags.Base.Model: "EOS R5"}))
    assert evidence.generations == [] and report.analyzers["generator_text"].signals == []


# --- the real-world fixtures ----------------------------------------------------------------

# What each manifest key means for us: (the report, our evidence, the expected value) → met?
GENERATOR_CHECKS = {
    "tool": lambda r, e, v: [g.tool for g in e.generations[:1]] == ([] if v == "none" else [v]),
    "app": lambda r, e, v: bool(e.generations) and e.generations[0].app == v,
    "also": lambda r, e, v: v in [g.tool for g in e.generations[1:]],
    "model": lambda r, e, v: v in [m for g in e.generations for m in g.models],
    "source~": lambda r, e, v: any(v in m for g in e.generations if g.tool == "novelai" for m in g.models),
    "carrier": lambda r, e, v: bool(e.generations) and e.generations[0].carrier == v,
    "png_text": lambda r, e, v: e.png_text == v.split("+"),
    "format": lambda r, e, v: r.media.format == v.lower(),
}


def test_fixture_generator_metadata_meets_every_expectation():
    keys = set(GENERATOR_CHECKS) - {"format"}
    rows = [r for r in fixture_rows() if r["path"].startswith("ai-metadata/") or keys & expectations(r).keys()]
    assert rows, "the fixtures manifest lists no generator-metadata files"
    failures = []
    for row in rows:
        expect = expectations(row)
        report, evidence = _analyze((SHARED / "fixtures" / row["path"]).read_bytes())
        for key, value in expect.items():
            if key in GENERATOR_CHECKS and not GENERATOR_CHECKS[key](report, evidence, value):
                found = [g.model_dump(exclude={"prompt", "negative_prompt"}) for g in evidence.generations]
                failures.append(f"{row['path']}: {key}={value}, found {found}")
        signals = [(s.points_to, s.strength) for s in report.analyzers["generator_text"].signals]
        if expect.get("tool", "none") != "none":
            assert signals[:1] == [("ai", "decisive")] and report.verdict.label == "ai", row["path"]
        elif "tool" in expect:
            assert signals == [], row["path"]
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_real_photos_in_the_fixtures_carry_no_generator_text():
    for row in fixture_rows():
        if row["label"] == "real":
            _, evidence = _analyze((SHARED / "fixtures" / row["path"]).read_bytes())
            assert evidence.generations == [], row["path"]


def test_prompt_is_kept_in_the_evidence_for_real_fixtures():
    [row] = [r for r in fixture_rows("ai-metadata/parser-fixtures/") if "stealth" in r["path"]]
    _, evidence = _analyze((SHARED / "fixtures" / row["path"]).read_bytes())
    assert evidence.generations[0].prompt == "a circle"


def test_signal_summary_names_tool_and_model():
    _, evidence = _analyze(_png({"prompt": json.dumps(COMFY_GRAPH)}))
    summary = evidence.signals()[0].summary
    assert "ComfyUI" in summary and "juggernautXL_v9.safetensors" in summary and "PNG text chunks" in summary


def test_base64_is_not_mistaken_for_generator_text():
    blob = base64.b64encode(bytes(range(256)) * 4).decode()
    assert _analyze(_png({"Comment": blob, "Software": "GIMP 2.10"}))[1].generations == []
