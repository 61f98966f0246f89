"""The numerics self-check: does this machine compute what the models computed where we measured?

A model file with the right hash can still give other numbers on another CPU or with another
runtime version (an integer kernel that saturates, a changed float kernel). Scores from such
a machine would be silently wrong, so each model is run once per process on the test cards
(``testcards.py``) and its outputs are compared with reference outputs stored in the
repository (``golden.npz``, written by ``training/golden.py``). A model whose outputs differ
by more than its tolerance is refused: the analyzers that need it report ``errored`` with
the reason instead of a score, and ``/healthz`` and ``pixelproof models verify`` say so.

Tolerances: the float32 models differ between CPUs by about 1e-5 relative (measured in
docs/numerics.md, SSE4, AVX and AVX2 paths); the tolerance, 1e-3, is a hundred times that,
and a thousand times below what a saturating integer kernel does (about 1).
"""

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import PixelproofError
from .testcards import cards

GOLDEN_PATH = Path(__file__).with_name("golden.npz")
SAMPLES = 1024  # values kept per output: evenly spaced over the flattened tensor
TOLERANCE = 1e-3  # largest relative RMS difference of any output from its reference
HOW_TO_FIX = (
    "Reinstall the pinned versions (`bash scripts/serve` or `pip install -r requirements.lock`), "
    "then run `pixelproof models verify`; if it still fails, please report your CPU model and the output."
)


class NumericsMismatch(PixelproofError):
    """A model's outputs on the test cards differ from the reference on this machine."""

    code = "numerics_mismatch"
    http_status = 503


@dataclass(frozen=True)
class Check:
    """One model's (or head's) self-check on this machine."""

    model: str
    state: Literal["ok", "mismatch", "missing"]
    deviation: float  # the largest difference from the reference, in the check's own unit
    detail: str

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    @property
    def message(self) -> str:
        if self.state == "ok":
            return f"{self.model}: numbers match the reference (largest deviation {self.deviation:.1e})"
        if self.state == "missing":
            return f"{self.model}: not checked: {self.detail}"
        return (
            f"{self.model}: the model's numbers differ from the reference on this CPU ({self.detail}), "
            f"so its scores would be wrong and it is not used. {HOW_TO_FIX}"
        )


def _cards(size: int) -> list[np.ndarray]:
    """The test cards' top-left ``size`` × ``size`` corners, float32 0-255 (no resampling)."""
    return [card[:size, :size].astype(np.float32) for card in cards().values()]


def _nchw(batch: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))


# How each model is fed the cards: inputs in its usual range, no library resampling involved.
INPUTS: dict[str, Callable[[], np.ndarray]] = {
    "clip-vit-b16-float": lambda: _nchw((np.stack(_cards(224)) / 255.0 - 0.45) / 0.27),
    "open-nsfw": lambda: np.stack(_cards(224))[..., ::-1] - np.float32([104.0, 117.0, 123.0]),
    "blazeface-short-range": lambda: np.stack(_cards(128)) / 127.5 - 1.0,
    "blazeface-full-range": lambda: np.stack(_cards(192)) / 127.5 - 1.0,
}


def run_model(path: Path, batch: np.ndarray) -> list[np.ndarray]:
    """Every output of the model at ``path`` for each item of ``batch``, run one at a time,
    with the runtime the analyzers use (onnxruntime or LiteRT)."""
    outputs = []
    if path.suffix == ".onnx":
        from .runtime import cpu_session

        session = cpu_session(path)
        name = session.get_inputs()[0].name
        outputs = [session.run(None, {name: item[None].astype(np.float32)}) for item in batch]
    else:
        from .runtime import litert_interpreter

        interpreter = litert_interpreter(path)
        slot = interpreter.get_input_details()[0]["index"]
        for item in batch:
            interpreter.set_tensor(slot, item[None].astype(np.float32))
            interpreter.invoke()
            outputs.append([interpreter.get_tensor(o["index"]).copy() for o in interpreter.get_output_details()])
    return [np.stack([item[i] for item in outputs]) for i in range(len(outputs[0]))]


def sample(output: np.ndarray) -> np.ndarray:
    """``SAMPLES`` evenly spaced values of one output, per test card (cards × SAMPLES, float32)."""
    flat = output.reshape(len(output), -1)
    picks = np.linspace(0, flat.shape[1] - 1, min(SAMPLES, flat.shape[1])).round().astype(int)
    return flat[:, picks].astype(np.float32)


def measure(name: str, path: Path) -> list[np.ndarray]:
    """The sampled outputs of model ``name`` on the test cards: what ``golden.npz`` stores."""
    return [sample(output) for output in run_model(path, INPUTS[name]())]


def relative_rms(measured: np.ndarray, reference: np.ndarray) -> float:
    scale = float(np.sqrt(np.mean(np.square(reference, dtype=np.float64))))
    return float(np.sqrt(np.mean(np.square(measured - reference, dtype=np.float64)))) / max(scale, 1e-12)


def golden(name: str, path: Path | None = None) -> list[np.ndarray] | None:
    """The stored reference outputs of ``name``, or None when the file has none for it."""
    path = path or GOLDEN_PATH
    if not path.is_file():
        return None
    with np.load(path) as npz:
        keys = sorted((k for k in npz.files if k.startswith(f"{name}/")), key=lambda k: int(k.rsplit("/", 1)[1]))
        return [npz[k] for k in keys] or None


def compare(name: str, measured: list[np.ndarray], reference: list[np.ndarray] | None) -> Check:
    if reference is None:
        return Check(name, "mismatch", float("inf"), "no reference outputs are stored for it")
    if [m.shape for m in measured] != [r.shape for r in reference]:
        return Check(name, "mismatch", float("inf"), "its outputs have other shapes than the reference")
    deviations = [relative_rms(m, r) for m, r in zip(measured, reference, strict=True)]
    worst = max(deviations)
    if not np.isfinite(worst) or worst > TOLERANCE:
        at = int(np.argmax(deviations)) if np.isfinite(worst) else -1
        return Check(name, "mismatch", worst, f"output {at} is off by {worst:.2g} relative RMS, tolerance {TOLERANCE:g}")
    return Check(name, "ok", worst, "")


_lock = threading.Lock()


@functools.cache
def _check(name: str, path: Path, stamp: tuple[int, int]) -> Check:
    if name not in INPUTS:  # a newly pinned model gets no pass until it has inputs and references
        return Check(name, "mismatch", float("inf"), "no test-card inputs are defined for it in models/numerics.py")
    return compare(name, measure(name, path), golden(name))


def check(name: str, path: Path) -> Check:
    """The model's check, run once per process and file (a replaced file is checked again)."""
    st = path.stat()
    with _lock:  # one check at a time: concurrent first requests wait for one result
        return _check(name, path, (st.st_size, st.st_mtime_ns))


def require(name: str, path: Path) -> None:
    """Raise NumericsMismatch unless model ``name`` passes its check on this machine."""
    result = check(name, path)
    if not result.ok:
        raise NumericsMismatch(result.message)
