"""The pixel detector on images it never trained on: the labelled files of ../shared/fixtures.

The fixtures (C2PA products, A1111/ComfyUI outputs, SD reference-script images with
invisible watermarks, camera photos in awkward formats) come from other sources than the
training data, so they are a small independent check of the leave-one-source-out figures.
Files whose sha256 is in the head's training list are left out. Writes the labelled CSV
and runs ``pixelproof eval`` on it, scoring the pixel model alone.

    .venv/bin/python -m benchmarks.fixtures_holdout [--json out.json]
"""

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pixelproof.analyzers.pixels_head import TRAINING_LIST_PATH
from training.locations import SHARED_FIXTURES as FIXTURES



def holdout_rows() -> list[tuple[str, str, str]]:
    """(path, label, kind) of every fixture labelled ai or real and not trained on."""
    trained = {item["sha256"] for item in json.loads(TRAINING_LIST_PATH.read_text())}
    with (FIXTURES / "manifest.csv").open(newline="") as f:
        return [
            (str(FIXTURES / r["path"]), r["label"], r["kind"])
            for r in csv.DictReader(f)
            if r["label"] in ("ai", "real") and r["sha256"] not in trained
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the eval metrics here")
    args = parser.parse_args()
    if not (FIXTURES / "manifest.csv").is_file():
        sys.exit(f"no fixtures at {FIXTURES}: this benchmark needs ../shared/fixtures")
    rows = holdout_rows()
    print(f"{len(rows)} held-out fixtures ({sum(r[1] == 'ai' for r in rows)} AI)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "fixtures.csv"
        with labels.open("w", newline="") as f:
            csv.writer(f).writerows([("path", "label", "group"), *rows])
        command = [sys.executable, "-m", "pixelproof", "eval", str(labels), "--score", "pixels"]
        subprocess.run(command + (["--json", str(args.json)] if args.json else []), check=True)


if __name__ == "__main__":
    main()
