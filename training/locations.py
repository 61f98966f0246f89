"""Where training and the benchmarks find the development data and put their caches.

The data never lives in the repository (its licences forbid redistribution, and it is large),
so every location sits beside the checkout by default, as ``../shared`` does, and each one can
be moved with an environment variable:

* ``PIXELPROOF_SHARED``: the data handed to the project (default ``../shared``).
* ``PIXELPROOF_DEVDATA``: what a developer builds on their own machine (default ``../devdata``):
  the extra images, synthetic screenshots and the feature caches below it.
* ``PIXELPROOF_FEATURES_DIR``: the pixel detector's CLIP feature cache (default
  ``$PIXELPROOF_DEVDATA/features``).

Trained heads are written where ``--out`` says; only ``--ship`` replaces the shipped ones.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _folder(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else default


SHARED = _folder("PIXELPROOF_SHARED", REPO_ROOT.parent / "shared")
DEVDATA = _folder("PIXELPROOF_DEVDATA", REPO_ROOT.parent / "devdata")
FEATURES_DIR = _folder("PIXELPROOF_FEATURES_DIR", DEVDATA / "features")
SHARED_DATA = SHARED / "data"
SHARED_FIXTURES = SHARED / "fixtures"
EXTRA_DIR = DEVDATA / "extra"
SYNTHETIC_DIR = DEVDATA / "synthetic"
FACES_DIR = DEVDATA / "faces"
OUT_OF_FOLD_DIR = FEATURES_DIR.parent / "oof"
