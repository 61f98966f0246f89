"""Write the numerics self-check's reference outputs (see pixelproof.models.numerics).

    python -m training.golden            # both: the models' outputs and the pixel head's scores

1. ``src/pixelproof/models/golden.npz``: each model's sampled outputs on the test cards.
2. The pixel head file's ``golden``: its raw score on each test card, through the analyzer's
   own views and CLIP (train.py writes them too when it saves a head).

Run it after changing a model's pinned file or its transform, or the head. It refuses a
model that still computes in integers: such a model's outputs depend on the CPU (see
pixelproof/models/surgery.py), so no reference written from it would hold elsewhere.
Prints where it ran, for docs/numerics.md.
"""

import argparse
import dataclasses
import json
import sys
from datetime import UTC, datetime
from importlib.metadata import version

import numpy as np

from pixelproof.models.clip import load_backbone
from pixelproof.analyzers.pixels_head import HEAD_PATH, load_head, testcard_scores
from pixelproof.models import ARTIFACTS, load_path
from pixelproof.models.numerics import GOLDEN_PATH, measure
from pixelproof.models.runtime import cpu_description
from pixelproof.models.surgery import integer_ops
from pixelproof.settings import Settings


def where() -> dict:
    return {
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_description(),
        "versions": {pkg: version(pkg) for pkg in ("onnxruntime", "ai-edge-litert", "numpy", "pillow")},
    }


def write_models(settings: Settings) -> None:
    import onnx

    arrays = {}
    for name in ARTIFACTS:
        path = load_path(name, settings)
        if path.suffix == ".onnx" and (found := integer_ops(onnx.load(str(path), load_external_data=False))):
            sys.exit(f"refusing {name}: it computes in integers ({len(found)} nodes, e.g. {found[0]})")
        for i, output in enumerate(measure(name, path)):
            arrays[f"{name}/{i}"] = output
        print(f"{name}: {sum(k.startswith(name + '/') for k in arrays)} outputs sampled")
    np.savez_compressed(GOLDEN_PATH, about=np.array(json.dumps(where())), **arrays)
    print(f"wrote {GOLDEN_PATH} ({GOLDEN_PATH.stat().st_size / 1e3:.0f} kB)")


def write_head(settings: Settings) -> None:
    head, _ = load_head()
    scores = testcard_scores(load_backbone(settings), head)
    dataclasses.replace(head, golden=scores).save(HEAD_PATH)
    print(f"wrote the test-card scores {json.dumps(scores)} into {HEAD_PATH}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("models", "head"), help="write only one of the two")
    args = parser.parse_args()
    settings = Settings()
    print(json.dumps(where()))
    if args.only in (None, "models"):
        write_models(settings)
    if args.only in (None, "head"):
        write_head(settings)


if __name__ == "__main__":
    main()
