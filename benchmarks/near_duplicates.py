"""Near-duplicate search: does a re-encoded, resized, cropped or screenshotted copy find its
original, do distinct images stay apart, and how fast is a search at 100 k and 1 M images?

Quality, on the development data (../shared/data and, when present, ../devdata/extra),
one image per original (by ``original_sha256``), shuffled with seed 0: the first N are
indexed through the product's own path (``Corpus`` on a throwaway SQLite database), each is
edited with every edit of ``pixelproof.index.edits`` and searched for, and the next M images,
never indexed, are searched for as distinct images. Reported: recall per edit with the
shipped thresholds, the false-match rate on the distinct images, the PDQ distances behind
them, and a sweep of the whole-image PDQ threshold.

The CLIP path (similar images), on a smaller sample since each image costs a CLIP run: the
first K originals indexed with their embeddings, the crops, screenshots, re-encodes and
half-size copies searched for, then the next L originals as distinct images. Reported: what
the shipped rule finds (as a copy, as similar), the false "similar" matches, a sweep of the
cosine threshold (chosen on one half of the distinct images, checked on the other), a sweep
of the CLIP layer and pooling the embedding is read from, and the time of one CLIP run.

Speed, on synthetic random hashes and embeddings (the search cost depends only on how many
there are): one search (one view, as for most images; 16 views, the most a framed query
makes), building the in-memory index from the saved copy, and, at 100 k, from the database.

    nice .venv/bin/python -m benchmarks.near_duplicates [--indexed 1000] [--distinct 1500]
        [--clip-indexed 400] [--clip-distinct 1200] [--no-quality] [--no-clip] [--no-timing]
"""

import argparse
import csv
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
from PIL import Image

from pixelproof.models.clip import POOLS, global_tokens
from pixelproof.errors import PixelproofError
from pixelproof.index import Corpus, QueryViews, indexed_image, open_embedder, query_views
from pixelproof.index.corpus import FRAMED_MAX_PDQ, FRAMED_MAX_PHASH, SIMILAR_MIN, WHOLE_MAX_PDQ
from pixelproof.index.edits import EDITS, cropped
from pixelproof.index.embedding import DIM, LAYER, MASSIVE_DIMS, embedding
from pixelproof.index.hashing import PDQ_BYTES, PHASH_BYTES, Fingerprint
from pixelproof.index.search import MIN_PDQ_QUALITY, HashIndex
from pixelproof.media import decode
from pixelproof.settings import Settings
from pixelproof.storage.indexed import IndexedHashes, IndexedImage
from training.locations import EXTRA_DIR, SHARED_DATA

DATA_SETS = (SHARED_DATA, EXTRA_DIR)
SETTINGS = Settings(max_upload_bytes=50 * 1024 * 1024)
SWEEP = (16, 24, 31, 40, 48, 56, 64)
# The edits the thresholds are chosen against, plus milder crops: where whole-image hashes give up.
BENCH_EDITS = {**EDITS, "crop-95-centre": cropped(0.95), "crop-90-centre": cropped(0.9)}
CLIP_EDITS = ("crop-80-centre", "crop-80-corner", "crop-90-centre", "screenshot", "jpeg-q50", "resize-0.5")
COSINE_SWEEP = (0.86, 0.88, 0.90, 0.91, 0.92, 0.94)
MAX_FALSE = 0.005  # the share of distinct images allowed to match something as "similar"


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


# -- the CLIP path ---------------------------------------------------------------------------------


def _decoded(path: Path):
    try:
        return decode(path.read_bytes(), SETTINGS)
    except PixelproofError:
        return None


def clip_quality(n_indexed: int, n_distinct: int) -> None:
    embedder, skipped = open_embedder(SETTINGS)
    if embedder is None:
        print(f"\nCLIP path not measured: {skipped}")
        return
    paths = originals()
    tokens = {}  # what the sweeps need: the global view's tokens (2×12×768, float16) per image
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), max_upload_bytes=SETTINGS.max_upload_bytes)
        with Corpus.open(settings) as corpus:
            start = time.perf_counter()
            entries, kept = [], []
            for path in paths[:n_indexed]:
                if (media := _decoded(path)) is None:
                    continue
                entries.append(indexed_image(media, str(path), embedding=embedder(media)))
                tokens["indexed", len(kept)] = global_tokens(embedder.backbone, media)[0].astype(np.float16)
                kept.append(path)
            corpus.add(entries)
            position = {entry.sha256: i for i, entry in enumerate(entries)}
            position_of = {
                row.id: position[row.sha256] for row in corpus.store.indexed_images(corpus.store.indexed_hashes().ids)
            }
            print(f"\nCLIP path: indexed {len(entries)} images with embeddings in {time.perf_counter() - start:.0f} s")
            per_edit = {}
            for name in CLIP_EDITS:
                rows = []
                for i, path in enumerate(kept):
                    media = decode(
                        BENCH_EDITS[name](Image.fromarray(decode(path.read_bytes(), SETTINGS).rgb)), SETTINGS
                    )
                    found = corpus.search(query_views(media, embedder(media)))
                    rows.append((i, [(position_of[m.id], m.kind) for m in found]))
                    tokens[name, i] = global_tokens(embedder.backbone, media)[0].astype(np.float16)
                per_edit[name] = rows
            distinct, clip_ms, search_ms = [], [], []
            for path in paths[n_indexed:]:
                if len(distinct) == n_distinct:
                    break
                if (media := _decoded(path)) is None:
                    continue
                _ = media.rgb
                start = time.perf_counter()
                vector = embedder(media)  # one CLIP run: what reverse_search adds when the pixel analyzer did not run
                clip_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                found = corpus.search(query_views(media, vector))
                search_ms.append((time.perf_counter() - start) * 1000)
                tokens["distinct", len(distinct)] = global_tokens(embedder.backbone, media)[0].astype(np.float16)
                distinct.append((path, [(position_of[m.id], m.kind, m.similarity) for m in found]))
    _clip_report(per_edit, distinct, kept)
    _cosine_sweeps(tokens, len(kept), len(distinct))
    print(
        f"\nOne CLIP run on the global view (the cost when the pixel analyzer did not run): p50 {np.percentile(clip_ms, 50):.0f} ms, "
        f"p90 {np.percentile(clip_ms, 90):.0f} ms; the search after it (hashing, both indexes, reading the matches): "
        f"p50 {np.percentile(search_ms, 50):.1f} ms, p90 {np.percentile(search_ms, 90):.1f} ms"
    )


def _clip_report(per_edit: dict, distinct: list, kept: list[Path]) -> None:
    print(f"\nShipped rule: similar at cosine ≥ {SIMILAR_MIN} (and copies by their hashes, as above)")
    print("| edit | copies | right image as a copy | as similar only | either | right image first |")
    print("|---|---|---|---|---|---|")
    for name, rows in per_edit.items():
        kinds = [{pos: kind for pos, kind in found}.get(i) for i, found in rows]
        first = sum(bool(found) and found[0][0] == i for i, found in rows)
        n = len(rows)
        copy, similar = kinds.count("copy"), kinds.count("similar")
        print(f"| {name} | {n} | {copy / n:.1%} | {similar / n:.1%} | {(copy + similar) / n:.1%} | {first / n:.1%} |")
    as_copy = [path for path, found in distinct if any(kind == "copy" for _, kind, _ in found)]
    as_similar = [(path, found) for path, found in distinct if any(kind == "similar" for _, kind, _ in found)]
    print(
        f"\nDistinct images: {len(distinct)} searched; {len(as_similar)} matched something as similar "
        f"({len(as_similar) / len(distinct):.2%}), {len(as_copy)} as a copy"
    )
    for path, found in sorted(as_similar, key=lambda f: -max(m[2] for m in f[1] if m[1] == "similar"))[:12]:
        best = max((m for m in found if m[1] == "similar"), key=lambda m: m[2])
        print(f"  {best[2]:.3f} {path.name} ~ {kept[best[0]].name}")


def _unit(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _recall_and_false(vectors, edits, n_indexed: int, n_distinct: int, threshold: float | None = None):
    """(threshold, {edit: recall}, false share on all distinct images, on halves A and B).

    ``threshold`` None: the lowest cosine that keeps the false share within MAX_FALSE, as the
    shipped one was chosen; the halves show how much that estimate moves with the sample."""
    indexed = _unit(vectors("indexed", n_indexed))
    nearest = (_unit(vectors("distinct", n_distinct)) @ indexed.T).max(1)
    if threshold is None:
        allowed = int(MAX_FALSE * len(nearest))
        threshold = float(np.nextafter(np.sort(nearest)[::-1][allowed], 2))  # just above the first one too many
    recall = {e: float(((_unit(vectors(e, n_indexed)) * indexed).sum(1) >= threshold).mean()) for e in edits}
    shares = [float((part >= threshold).mean()) for part in (nearest, nearest[0::2], nearest[1::2])]
    return threshold, recall, *shares


def _cosine_sweeps(tokens: dict, n_indexed: int, n_distinct: int) -> None:
    def stacked(kind: str, n: int, pick) -> np.ndarray:
        return np.stack([pick(tokens[kind, i][None].astype(np.float32)) for i in range(n)])

    print(f"\nSweep of the cosine threshold (shipped embedding; {n_indexed} indexed images):")
    print("| cosine ≥ | " + " | ".join(CLIP_EDITS) + " | distinct matched (halves A / B) |")
    print("|---" * (len(CLIP_EDITS) + 2) + "|")
    shipped = lambda kind, n: stacked(kind, n, embedding)
    for threshold in (*COSINE_SWEEP, None):
        chosen, recall, false, false_a, false_b = _recall_and_false(
            shipped, CLIP_EDITS, n_indexed, n_distinct, threshold
        )
        label = f"{chosen:.4f}" if threshold is not None else f"{chosen:.4f} (lowest at ≤ {MAX_FALSE:.1%})"
        recalls = " | ".join(f"{recall[e]:.1%}" for e in CLIP_EDITS)
        print(f"| {label} | {recalls} | {false:.2%} ({false_a:.2%} / {false_b:.2%}) |")

    edits = ("crop-80-centre", "crop-80-corner", "screenshot", "jpeg-q50")
    print(
        f"\nSweep of the token the embedding is read from, each at its lowest threshold with ≤ {MAX_FALSE:.1%} false:"
    )
    print("| layer | pooling | dims | threshold | " + " | ".join(edits) + " |")
    print("|---" * (len(edits) + 4) + "|")
    keep = np.ones(768, bool)
    keep[MASSIVE_DIMS] = False
    for layer in range(3, 12):
        for pool in POOLS:
            for dims, mask in ((768, slice(None)), (DIM, keep)):
                pick = lambda t, layer=layer, pool=pool, mask=mask: t[0, POOLS.index(pool), layer][mask]
                chosen, recall, *_ = _recall_and_false(
                    lambda kind, n, pick=pick: stacked(kind, n, pick), edits, n_indexed, n_distinct
                )
                mark = " (shipped)" if (layer, pool, dims) == (LAYER, "mean", DIM) else ""
                recalls = " | ".join(f"{recall[e]:.1%}" for e in edits)
                print(f"| {layer}{mark} | {pool} | {dims} | {chosen:.4f} | {recalls} |")


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
    _embedding_speed(100_000, rng)
    _rebuild_from_database(100_000, rng)


def _embedding_speed(n: int, rng: np.random.Generator) -> None:
    """The cosine search scans every embedding: its cost grows linearly with n."""
    vectors = _unit(rng.standard_normal((n, DIM))).astype(np.float16)
    index = HashIndex()
    index.add(replace(_random_hashes(n, rng), embedded_ids=list(range(1, n + 1)), embeddings=vectors.tobytes()))
    spent = []
    for query in _unit(rng.standard_normal((200, DIM))):
        start = time.perf_counter()
        index.similar(query, SIMILAR_MIN)
        spent.append(time.perf_counter() - start)
    print(f"\nCosine search over {n:,} embeddings ({DIM}-d, float32 in memory): p50 / p95 {_ms(spent)} ms")


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
    parser.add_argument("--clip-indexed", type=int, default=400, help="images indexed for the CLIP path (K)")
    parser.add_argument("--clip-distinct", type=int, default=1200, help="distinct images for the CLIP path (L)")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--no-clip", action="store_true")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    if not args.no_quality:
        quality(args.indexed, args.distinct)
    if not args.no_clip:
        clip_quality(args.clip_indexed, args.clip_distinct)
    if not args.no_timing:
        speed()


if __name__ == "__main__":
    main()
