"""One answer on every CPU: the shipped models compute in float32 and match stored reference
numbers here; a machine that computes other numbers gets no score, and says why.

Background (docs/numerics.md): the wheel's CLIP is dynamically quantised; onnxruntime's
uint8 × int8 kernel saturates on x86 CPUs without VNNI, and requantising every activation
amplifies last-bit float differences between CPUs. pixelproof runs it in float32.
"""

import csv
import io

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from fastapi.testclient import TestClient
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from pixelproof.models.clip import BACKBONE, load_backbone
from pixelproof.analyzers.pixels_head import RAW_TOLERANCE, load_head
from pixelproof.analyzers.pixels_head import check as check_head
from pixelproof.api import create_app
from pixelproof.models import ARTIFACTS, load_path, numerics
from pixelproof.models.numerics import TOLERANCE, NumericsMismatch, compare
from pixelproof.models.surgery import integer_ops
from pixelproof.models.testcards import cards
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.cli import pixelproof_cli
from tests.support.fixtures import settled_health
from tests.support.shared import REPO_ROOT, SHARED


def test_testcards_are_drawn_identically_every_time():
    first, again = cards(), cards()
    assert set(first) == {"photo", "graphic"}
    for name, rgb in first.items():
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and np.array_equal(rgb, again[name])
        assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 100  # textured, not flat


@pytest.mark.parametrize("name", list(ARTIFACTS))
def test_each_model_computes_the_reference_numbers_here(fetched_models, name):
    result = numerics.check(name, load_path(name, fetched_models))
    assert result.ok, result.message
    assert result.deviation <= TOLERANCE


def test_the_pixel_head_scores_the_testcards_as_recorded(fetched_models):
    head, _ = load_head()
    assert set(head.golden) == set(cards())
    result = check_head(load_backbone(fetched_models), head)
    assert result.ok, result.message
    assert result.deviation <= RAW_TOLERANCE


def test_thread_count_does_not_move_the_features(fetched_models):
    """Servers size the thread pool from their cores; the numbers must not follow."""
    from pixelproof.models.clip import ClipBackbone, views

    crops = views(cards()["photo"])[:2]
    path = load_path(BACKBONE, fetched_models)
    one, three = (ClipBackbone(path, threads=n).tokens(crops) for n in (1, 3))
    assert np.array_equal(one, three)


def test_no_shipped_model_computes_in_integers(fetched_models):
    """Integer kernels are where CPUs disagree (a saturating uint8 × int8 on AVX2); every
    shipped graph computes in float32, and the TFLite models hold no quantised tensor."""
    from ai_edge_litert.interpreter import Interpreter

    for name in ARTIFACTS:
        path = load_path(name, fetched_models)
        if path.suffix == ".onnx":
            assert integer_ops(onnx.load(str(path))) == [], name
        else:
            interpreter = Interpreter(model_path=str(path))
            for tensor in interpreter.get_tensor_details():
                assert tensor["dtype"] not in (np.int8, np.uint8), (name, tensor["name"])
                assert not tensor["quantization_parameters"]["scales"].size, (name, tensor["name"])


def _matmul_integer(weights: np.ndarray, weights_zero: np.ndarray) -> ort.InferenceSession:
    """One quantised layer as the wheel's CLIP has 73 of: uint8 activations × constant weights."""
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "w", "a_zero", "w_zero"], ["y"])],
        "one-layer",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [1, weights.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [1, weights.shape[1]])],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.array(0, np.uint8), "a_zero"),
            numpy_helper.from_array(weights_zero, "w_zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def test_an_int8_weight_layer_is_exact_only_on_some_cpus_and_an_unsigned_one_everywhere():
    """Activations of 255 and weights of 127: each pair of products sums to 64,770, beyond
    16 bits. Exact arithmetic gives K/2 × 64,770; onnxruntime's uint8 × int8 kernel on x86
    without VNNI saturates each pair at 32,767. The same layer with its weights re-expressed
    as uint8 (w + 128, zero point 128) is exact on every CPU."""
    k, n = 64, 8
    activations = np.full((1, k), 255, np.uint8)
    signed = np.full((k, n), 127, np.int8)
    exact = (activations.astype(np.int64) @ signed.astype(np.int64)).astype(np.int32)
    saturated = np.full_like(exact, k // 2 * 32767)
    assert exact[0, 0] == k // 2 * 64770

    [as_int8] = _matmul_integer(signed, np.zeros(n, np.int8)).run(None, {"a": activations})
    assert np.array_equal(as_int8, exact) or np.array_equal(as_int8, saturated)  # VNNI: exact; AVX2: saturated

    unsigned = (signed.astype(np.int16) + 128).astype(np.uint8)
    [as_uint8] = _matmul_integer(unsigned, np.full(n, 128, np.uint8)).run(None, {"a": activations})
    assert np.array_equal(as_uint8, exact)


def test_compare_flags_what_a_saturating_kernel_does_and_passes_float_noise():
    reference = [np.linspace(-3, 3, 2048, dtype=np.float32).reshape(2, 1024)]
    noise = [reference[0] * np.float32(1 + 1e-5)]  # what different float kernels do: ~1e-5
    broken = [reference[0] + np.float32(0.5)]  # what a wrong kernel does
    assert compare("m", noise, reference).ok
    failed = compare("m", broken, reference)
    assert failed.state == "mismatch" and "tolerance" in failed.detail
    assert compare("m", noise, None).state == "mismatch"  # no reference is never a pass


def test_a_model_without_test_card_inputs_never_passes(tmp_path):
    unknown = tmp_path / "new-model.onnx"
    unknown.write_bytes(b"not checked")
    result = numerics.check("new-model", unknown)
    assert result.state == "mismatch" and "no test-card inputs" in result.detail


def _golden_with_other_numbers(tmp_path, name: str):
    """A reference file that disagrees with this machine about ``name``: what every check sees
    on a CPU that computes differently (the stored numbers are data; the check runs for real)."""
    path = tmp_path / "golden.npz"
    with np.load(numerics.GOLDEN_PATH) as npz:
        arrays = {key: npz[key] for key in npz.files}
    for key in arrays:
        if key.startswith(f"{name}/"):
            arrays[key] = arrays[key] * np.float32(1.05)
    np.savez(path, **arrays)
    return path


@pytest.fixture
def clip_disagrees(tmp_path, monkeypatch):
    monkeypatch.setattr(numerics, "GOLDEN_PATH", _golden_with_other_numbers(tmp_path, BACKBONE))
    numerics._check.cache_clear()
    yield
    numerics._check.cache_clear()


def test_a_machine_with_other_numbers_gets_no_score_and_says_why(fetched_models, clip_disagrees):
    with pytest.raises(NumericsMismatch, match="differ from the reference on this CPU"):
        load_backbone(fetched_models)
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (120, 130, 140)).save(buffer, "PNG")
    report = Engine(fetched_models).analyze(buffer.getvalue(), only=["pixels", "deepfake", "nsfw"])
    for name in ("pixels", "deepfake"):
        section = report.analyzers[name]
        assert section.status == "errored" and "pixelproof models verify" in section.reason, section
    assert report.analyzers["nsfw"].status == "processed"  # its own model still matches
    assert report.verdict.ai_generated is None and report.verdict.label == "uncertain"

    result = pixelproof_cli("models", "verify", "--cache-dir", str(fetched_models.cache_dir))
    assert result.exit_code == 1
    assert f"mismatch\t{BACKBONE}: the model's numbers differ" in result.output

    with TestClient(create_app(Settings(cache_dir=fetched_models.cache_dir, data_dir=fetched_models.cache_dir / "data"))) as client:
        health = settled_health(client)
    assert health["status"] == "degraded"
    assert health["models"][BACKBONE]["state"] == "mismatch"
    assert health["models"]["open-nsfw"]["state"] == "ok"


def test_health_reports_every_model_checked(fetched_models, tmp_path):
    with TestClient(create_app(Settings(cache_dir=fetched_models.cache_dir, data_dir=tmp_path))) as client:
        health = settled_health(client)
    assert health["status"] == "ok", health
    assert {name: m["state"] for name, m in health["models"].items()} == {**dict.fromkeys(ARTIFACTS, "ok"), "pixels-head": "ok"}


def test_models_verify_passes_here(fetched_models):
    result = pixelproof_cli("models", "verify", "--cache-dir", str(fetched_models.cache_dir))
    assert result.exit_code == 0, result.output
    assert "all models compute the reference numbers on this machine" in result.output


# Real photos and AI images of the development set: the first photo (or generated picture)
# of each group in manifest order, no picking, scored end to end. On a CPU whose kernels
# saturated, every real photo here came out AI.
REAL = ("bsd100", "urban100", "metadata-extractor-images", "sun-hays80")
AI = ("nano-banana-pro", "gpt-4o", "grok-imagine", "sd2.x")


def _first_of_each(groups: tuple[str, ...]) -> list:
    manifest = SHARED / "data" / "manifest.csv"
    if not manifest.exists():
        pytest.skip(f"{manifest} is absent (a clone without ../shared): development-image checks skipped")
    with manifest.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["content_type"] in ("photo", "generated")]
    return [SHARED / "data" / next(r["path"] for r in rows if r["group"] == group) for group in groups]


@pytest.mark.parametrize(("groups", "label"), [(REAL, "real"), (AI, "ai")])
def test_development_images_land_on_their_side_of_the_threshold(fetched_models, groups, label):
    engine = Engine(fetched_models)
    for path in _first_of_each(groups):
        evidence = engine.analyze(path.read_bytes(), only=["pixels"]).analyzers["pixels"].evidence
        low, high = evidence["uncertain_band"]
        p = evidence["ai_probability"]
        assert (p < high) if label == "real" else (p >= low), (path.name, p)


def test_the_numbers_come_from_the_locked_libraries():
    """The references were computed with requirements.lock's versions; the README's commands
    install exactly those (an upgrade is a deliberate `bash scripts/lock`, then this suite)."""
    from importlib.metadata import version

    lock = REPO_ROOT / "requirements.lock"
    pins = dict(line.split("==", 1) for line in lock.read_text().splitlines() if "==" in line and not line.startswith("#"))
    for package in ("onnxruntime", "numpy", "pillow", "ai-edge-litert", "onnx"):
        assert version(package) == pins[package], f"{package} {version(package)} is installed, the lock pins {pins[package]}"
