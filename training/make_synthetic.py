"""Draw the synthetic screenshots (label real) into SYNTHETIC_DIR, with a manifest.

    python -m training.make_synthetic [--n 200]

SYNTHETIC_DIR is $PIXELPROOF_DEVDATA/synthetic (training/locations.py; ../devdata by default).

Deterministic: image i is drawn from seed (SEED, i), so every run yields the same bytes.
"""

import argparse
import csv
import hashlib
import io

import numpy as np

from .locations import SYNTHETIC_DIR
from .synthetic import screenshot

SEED = 20251121
SOURCE = "synthetic:screenshots"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    folder = SYNTHETIC_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(args.n):
        buf = io.BytesIO()
        screenshot(np.random.default_rng([SEED, i])).save(buf, "PNG")
        data = buf.getvalue()
        path = folder / f"screen_{i:04d}.png"
        path.write_bytes(data)
        rows.append({
            "path": str(path.relative_to(SYNTHETIC_DIR)), "label": "real", "group": "screenshots-synthetic",
            "generator": "training/synthetic.py (drawn with PIL)", "source": f"{SOURCE}:{i}",
            "sha256": hashlib.sha256(data).hexdigest(),
        })  # fmt: skip
    with (SYNTHETIC_DIR / "manifest.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} screenshots and {SYNTHETIC_DIR / 'manifest.csv'}")


if __name__ == "__main__":
    main()
