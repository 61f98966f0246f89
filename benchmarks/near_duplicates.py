"""Near-duplicate search: does a re-encoded, resized, cropped or screenshotted copy find its
original, do distinct images stay apart, and how fast is a search at 100 k and 1 M images?

Quality, on the development data (../shared/data and, when present, /work/devdata/extra),
one image per original (by ``original_sha256``), shuffled with seed 0: the first N are
indexed through the product's own path (``Corpus`` on a throwaway SQLite database), each is
edited with every edit of ``pixelproof.index.edits`` and searched for, and the next M images,
never indexed, are searched for as distinct images. Reported: recall per edit with the
shipped thresholds, the false-match rate on the distinct images, the PDQ distances behind
them, and a sweep of the whole-image PDQ threshold.

Speed, on synthetic random hashes (the search cost depends only on how many there are): one
search (one view, as for most images; 16 views, the most a framed query makes), building
the in-memory index from the saved copy, and, at 100 k, from the database.

    .venv/bin/python benchmarks/near_duplicates.py [--indexed 1000] [--distinct 1500] [--no-timing]
"""

import argparse
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from PIL import Image

from pixelproof.errors import PixelproofError
from pixelproof.index import Corpus, QueryViews, indexed_image, query_views
from pixelproof.index.corpus import FRAMED_MAX_PDQ, FRAMED_MAX_PHASH, WHOLE_MAX_PDQ
from pixelproof.index.edits import EDITS, cropped
from pixelproof.index.hashing import PDQ_BYTES, PHASH_BYTES, Fingerprint
from pixelproof.index.search import MIN_PDQ_QUALITY, HashIndex
from pixelproof.media import decode
from pixelproof.settings import Settings
from pixelproof.storage.indexed import IndexedHashes, IndexedImage

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATA_SETS = (SHARED / "data", Path("/work/devdata/extra"))
SETTINGS = Settings(max_upload_bytes=50 * 1024 * 1024)
SWEEP = (16, 24, 31, 40, 48, 56, 64)
# The edits the thresholds are chosen against, plus milder crops: where whole-image hashes give up.
BENCH_EDITS = {**EDITS, "crop-95-centre": cropped(0.95), "crop-90-centre": cropped(0.9)}


def originals() -> list[Path]:
    """One file per original picture, shuffled (seed 0)."""
    by_original: dict[str, Path] = {}
    for folder in DATA_SETS:
        manifest = folder / "manifest.csv"
        if manifest.exists():
            with manifest.open(newline="") as f:
                for row in csv.DictReader(f):
                    by_original.setdefault(row["original_sha256"] or row["sha256"], folder / row["path"])
    if not by_original:
        sys.exit(f"no development data under {', '.join(map(str, DATA_SETS))}")
    paths = sorted(by_original.values())
    np.random.default_rng(0).shuffle(paths)
    return paths


def _bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, np.uint8))


class Distances:
    """Every query view against every indexed image, to sweep thresholds without re-searching."""

    def __init__(self, indexed: list[Fingerprint]):
        self.pdq = np.array([_bits(f.pdq) for f in indexed])
        self.phash = np.array([_bits(f.phash) for f in indexed])
        self.unhashable = np.array([f.pdq_quality < MIN_PDQ_QUALITY for f in indexed])

    def of(self, views: QueryViews) -> list[tuple[bool, np.ndarray, np.ndarray]]:
        """Per view: (framed?, PDQ distances to each indexed image, pHash distances); pairs the
        search never compares (a hash below the quality floor) are 999 bits apart."""
        out = []
        for box, v in views.views:
            pdq = (self.pdq != _bits(v.pdq)).sum(1)
            pdq[self.unhashable | (v.pdq_quality < MIN_PDQ_QUALITY)] = 999
            out.append((box is not None, pdq, (self.phash != _bits(v.phash)).sum(1)))
        return out


def matched(distances, whole_max: int, framed_max: int = FRAMED_MAX_PDQ, framed_phash: int = FRAMED_MAX_PHASH):
    """Indices of the indexed images the rule accepts, over all views."""
    hits = set()
    for framed, pdq, phash in distances:
        ok = (pdq <= framed_max) & (phash <= framed_phash) if framed else pdq <= whole_max
        hits |= set(np.flatnonzero(ok).tolist())
    return hits


def quality(n_indexed: int, n_distinct: int) -> None:
    paths = originals()
    indexed_paths, distinct_paths = paths[:n_indexed], paths[n_indexed : n_indexed + n_distinct]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), max_upload_bytes=SETTINGS.max_upload_bytes)
        with Corpus.open(settings) as corpus:
            start = time.perf_counter()
            images, entries, kept = [], [], []
            for path in indexed_paths:
                try:
                    media = decode(path.read_bytes(), SETTINGS)
                except PixelproofError:
                    continue
                entry = indexed_image(media, str(path))
                kept.append(path)
                entries.append(entry)
                images.append(Fingerprint(entry.pdq, entry.pdq_quality, entry.phash))
            corpus.add(entries)
            rows = corpus.store.indexed_images(corpus.store.indexed_hashes().ids)
            position = {entry.sha256: i for i, entry in enumerate(entries)}
            position_of = {row.id: position[row.sha256] for row in rows}
            print(f"indexed {len(entries)} images in {time.perf_counter() - start:.0f} s", flush=True)
            distances = Distances(images)
            print(f"below the PDQ quality floor ({MIN_PDQ_QUALITY}): {distances.unhashable.sum()} of {len(entries)}")
            _within_data(distances, entries)
            per_edit = {}
            for name, edit in BENCH_EDITS.items():
                start = time.perf_counter()
                rows = []
                for i, path in enumerate(kept):
                    image = Image.fromarray(decode(path.read_bytes(), SETTINGS).rgb)
                    views = query_views(decode(edit(image), SETTINGS))
                    found = [position_of[m.id] for m in corpus.search(views)]
                    rows.append((i, views, distances.of(views), found))
                per_edit[name] = rows
                print(f"  {name}: {time.perf_counter() - start:.0f} s", flush=True)
            distinct, spent = [], []
            for path in distinct_paths:
                try:
                    media = decode(path.read_bytes(), SETTINGS)
                except PixelproofError:
                    continue
                _ = media.rgb  # converted before the clock starts: the pixel analyzers share it
                start = time.perf_counter()
                views = query_views(media)
                found = [position_of[m.id] for m in corpus.search(views)]
                spent.append(time.perf_counter() - start)
                distinct.append((path, views, distances.of(views), found))
    _report(per_edit, distinct, entries)
    print(
        f"\nA search as the analyzer makes it (hashing every view, searching, reading the matches), on the"
        f" distinct images: p50 {np.percentile(spent, 50) * 1000:.1f} ms, p90 {np.percentile(spent, 90) * 1000:.1f} ms"
    )


def _within_data(distances: Distances, entries: list[IndexedImage]) -> None:
    """Pairs of indexed images that are near-duplicates of each other (the same picture twice)."""
    pairs = []
    for i in range(len(entries)):
        if distances.unhashable[i]:
            continue
        apart = (distances.pdq[i + 1 :] != distances.pdq[i]).sum(1)
        close = np.flatnonzero((apart <= WHOLE_MAX_PDQ) & ~distances.unhashable[i + 1 :]) + i + 1
        pairs += [(entries[i].source, entries[j].source) for j in close]
    print(f"near-duplicate pairs among the indexed images themselves: {len(pairs)}")
    for a, b in pairs[:10]:
        print(f"  {a}\n  = {b}")


def _percentiles(values) -> str:
    q = np.percentile(values, [50, 90, 99, 100]) if len(values) else [np.nan] * 4
    return " / ".join(f"{v:.0f}" for v in q)


def _report(per_edit: dict, distinct: list, entries: list[IndexedImage]) -> None:
    print(
        f"\nShipped rule: whole image PDQ ≤ {WHOLE_MAX_PDQ}; a framed box PDQ ≤ {FRAMED_MAX_PDQ} and pHash ≤ {FRAMED_MAX_PHASH}"
    )
    print(
        "| edit | copies | found (top match right) | found anywhere | via a framed box | PDQ to original, whole image p50/p90/p99/max | best view |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, rows in per_edit.items():
        top = sum(bool(found) and found[0] == i for i, _, _, found in rows)
        anywhere = sum(i in found for i, _, _, found in rows)
        framed = sum(
            i in matched([d for d in dist if d[0]], -1) and i not in matched([dist[0]], WHOLE_MAX_PDQ)
            for i, _, dist, _ in rows
        )
        whole = [dist[0][1][i] for i, _, dist, _ in rows]
        best = [min(d[1][i] for d in dist) for i, _, dist, _ in rows]
        n = len(rows)
        print(
            f"| {name} | {n} | {top / n:.1%} | {anywhere / n:.1%} | {framed} | {_percentiles(whole)} | {_percentiles(best)} |"
        )
    false = [(path, found) for path, _, _, found in distinct if found]
    views = [len(v.views) for _, v, _, _ in distinct]
    nearest = [min(d[1].min() for d in dist) for _, _, dist, _ in distinct]
    print(
        f"\nDistinct images: {len(distinct)} searched ({statistics.mean(views):.2f} views each), "
        f"{len(false)} matched something ({len(false) / len(distinct):.2%}); "
        f"nearest PDQ distance p1/p10/p50: {' / '.join(f'{v:.0f}' for v in np.percentile(nearest, [1, 10, 50]))}, "
        f"min {min(nearest)}"
    )
    for path, found in false[:10]:
        print(f"  {path} -> {[entries[i].source for i in found]}")

    print("\nSweep of the whole-image PDQ threshold (framed rule unchanged):")
    print("| PDQ ≤ | " + " | ".join(per_edit) + " | distinct matched |")
    print("|---" * (len(per_edit) + 2) + "|")
    for threshold in SWEEP:
        recalls = [
            sum(i in matched(dist, threshold) for i, _, dist, _ in rows) / len(rows) for rows in per_edit.values()
        ]
        fmr = sum(bool(matched(dist, threshold)) for _, _, dist, _ in distinct) / len(distinct)
        print(f"| {threshold} | " + " | ".join(f"{r:.1%}" for r in recalls) + f" | {fmr:.2%} |")
    print("\nSweep of the framed rule's pHash bound (PDQ ≤ 31 for both):")
    print("| pHash ≤ | screenshot found | distinct matched |")
    print("|---|---|---|")
    for bound in (4, 6, 8, 10, 12, 16, 64):
        shots = per_edit["screenshot"]
        recall = sum(i in matched(dist, WHOLE_MAX_PDQ, FRAMED_MAX_PDQ, bound) for i, _, dist, _ in shots) / len(shots)
        fmr = sum(bool(matched(dist, WHOLE_MAX_PDQ, FRAMED_MAX_PDQ, bound)) for _, _, dist, _ in distinct)
        print(f"| {bound} | {recall:.1%} | {fmr / len(distinct):.2%} |")


# -- speed ----------------------------------------------------------------------------------------


def _random_hashes(n: int, rng: np.random.Generator) -> IndexedHashes:
    return IndexedHashes(
        ids=list(range(1, n + 1)),
        pdq=rng.integers(0, 256, n * PDQ_BYTES, dtype=np.uint8).tobytes(),
        phash=rng.integers(0, 256, n * PHASH_BYTES, dtype=np.uint8).tobytes(),
        pdq_quality=[100] * n,
    )


def _random_fingerprint(rng: np.random.Generator) -> Fingerprint:
    return Fingerprint(rng.bytes(PDQ_BYTES), 100, rng.bytes(PHASH_BYTES))


def _ms(samples: list[float]) -> str:
    return f"{np.percentile(samples, 50) * 1000:.2f} / {np.percentile(samples, 95) * 1000:.2f}"


def speed() -> None:
    rng = np.random.default_rng(0)
    print("\nOne faiss thread (the machine is shared):")
    print("| indexed hashes | one view p50 / p95 (ms) | 16 views p50 / p95 (ms) | load saved copy (ms) |")
    print("|---|---|---|---|")
    for n in (100_000, 1_000_000):
        index = HashIndex()
        index.add(_random_hashes(n, rng))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "index.npz"
            index.save(path, "token", 1)
            start = time.perf_counter()
            HashIndex.load(path, "token")
            load = time.perf_counter() - start
        queries = [_random_fingerprint(rng) for _ in range(320)]
        one = []
        for query in queries:
            start = time.perf_counter()
            index.near(query, WHOLE_MAX_PDQ)
            one.append(time.perf_counter() - start)
        sixteen = []
        for chunk in range(0, len(queries), 16):
            start = time.perf_counter()
            for query in queries[chunk : chunk + 16]:
                index.near(query, WHOLE_MAX_PDQ)
            sixteen.append(time.perf_counter() - start)
        print(f"| {n:,} | {_ms(one)} | {_ms(sixteen)} | {load * 1000:.0f} |")
    _rebuild_from_database(100_000, rng)


def _rebuild_from_database(n: int, rng: np.random.Generator) -> None:
    """A process with no saved copy reads every row: the worst case of opening the index."""
    hashes = _random_hashes(n, rng)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        with Corpus.open(settings) as corpus:
            pdq = np.frombuffer(hashes.pdq, np.uint8).reshape(n, PDQ_BYTES)
            phash = np.frombuffer(hashes.phash, np.uint8).reshape(n, PHASH_BYTES)
            for start in range(0, n, 10_000):
                corpus.add(
                    [
                        IndexedImage(f"{i:064x}", None, 1, 1, pdq[i].tobytes(), 100, phash[i].tobytes())
                        for i in range(start, min(n, start + 10_000))
                    ]
                )
        for saved in (Path(tmp) / "index").glob("*.npz"):
            saved.unlink()
        with Corpus.open(settings) as corpus:
            start = time.perf_counter()
            size = corpus.size()
            rebuilt = time.perf_counter() - start
    print(f"\nRebuilding the in-memory index of {size:,} images from SQLite (no saved copy): {rebuilt * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--indexed", type=int, default=1000, help="images indexed (N)")
    parser.add_argument("--distinct", type=int, default=1500, help="distinct images searched (M)")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--no-quality", action="store_true")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    if not args.no_quality:
        quality(args.indexed, args.distinct)
    if not args.no_timing:
        speed()


if __name__ == "__main__":
    main()
