"""The open_nsfw analyzer on the development data: how often it flags, and how fast.

The development data has no explicit images, so every flag is a false positive (or, for
swimwear and bare skin, a borderline call a moderator would want to see). We report the
flag rate at Yahoo's two cut-offs (0.5 and 0.8) per group, list the highest-scoring files
for hand inspection, and time the analyzer per image. Nothing is tuned here: the threshold
is Yahoo's.

Run: .venv/bin/python -m benchmarks.nsfw [--label real] [--top 15]
"""

import argparse
import statistics
import sys
import time
from collections import defaultdict

from pixelproof.analyzers.nsfw import NsfwAnalyzer
from pixelproof.media import decode
from pixelproof.settings import HARD_MAX_PIXELS, HARD_MAX_UPLOAD_BYTES, Settings
from training.data.manifests import load_rows
from training.locations import EXTRA_DIR, SHARED_DATA

CUTOFFS = (0.5, 0.8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", choices=("real", "ai"), default="real")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    settings = Settings(max_upload_bytes=HARD_MAX_UPLOAD_BYTES, max_pixels=HARD_MAX_PIXELS)
    analyzer = NsfwAnalyzer(settings)
    seen, scored, times = set(), [], []
    for row in load_rows():
        if row.label != args.label or row.sha256 in seen:
            continue
        seen.add(row.sha256)
        media = decode(row.path.read_bytes(), settings)
        start = time.perf_counter()
        score = analyzer.analyze(media).score
        times.append((time.perf_counter() - start) * 1000)
        scored.append((score, row.group, row.path))
    if not scored:
        sys.exit(f"no development images found ({SHARED_DATA}, {EXTRA_DIR})")

    by_group = defaultdict(list)
    for score, group, _ in scored:
        by_group[group].append(score)
    print(f"{len(scored)} unique {args.label} images; flagged at " + ", ".join(
        f"{c}: {sum(s >= c for s, _, _ in scored)} ({sum(s >= c for s, _, _ in scored) / len(scored):.2%})"
        for c in CUTOFFS
    ))  # fmt: skip
    print("\n| group | n | " + " | ".join(f"≥ {c}" for c in CUTOFFS) + " |\n|---|---|" + "---|" * len(CUTOFFS))
    for group, scores in sorted(by_group.items()):
        print(f"| {group} | {len(scores)} | " + " | ".join(str(sum(s >= c for s in scores)) for c in CUTOFFS) + " |")
    print(f"\ntop {args.top}:")
    for score, group, path in sorted(scored, reverse=True)[: args.top]:
        print(f"  {score:.3f}  {group}  {path}")
    times.sort()
    print(f"\nanalyzer time per image (decoded): p50 {statistics.median(times):.1f} ms, "
          f"p95 {times[int(0.95 * (len(times) - 1))]:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
