"""Near-duplicate search: the hashes, the CLIP embeddings, the index on SQLite and PostgreSQL,
`pixelproof index`, and the reverse_search analyzer in pipeline, CLI and API runs, on
generated pictures and, when ../shared is present, on the development data.

Generated pictures (colour fields and shapes) all look alike to CLIP, so the similar-image
checks use the development data."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import imagehash
import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from PIL import Image, ImageDraw

from pixelproof.index import Corpus, indexed_image, open_embedder, query_views, working_copy
from pixelproof.index.corpus import SIMILAR_MIN
from pixelproof.index.edits import EDITS
from pixelproof.index.embedding import DIM
from pixelproof.index.hashing import phash
from pixelproof.index.search import HashIndex
from pixelproof.media import decode
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings
from pixelproof.storage import Store
from pixelproof.storage.migrate import MIGRATIONS
from pixelproof.storage.tables import UTCDateTime

from tests.support.shared import SHARED

CLI = Path(sys.executable).with_name("pixelproof")
FOUND_EDITS = ("jpeg-q95", "jpeg-q75", "jpeg-q50", "resize-0.5", "screenshot")


def picture(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A generated picture with photo-like structure: colour fields, shapes, grain."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(30, 226, (5, 7, 3), dtype=np.uint8))
    image = coarse.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.integers(0, size[0]), rng.integers(0, size[1])
        w, h = rng.integers(20, size[0] // 3), rng.integers(20, size[1] // 3)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    grain = rng.normal(0, 6, (size[1], size[0], 3))
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + grain, 0, 255).astype(np.uint8))


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def media_of(data: bytes):
    return decode(data, Settings(max_upload_bytes=50 * 1024 * 1024))


def search(corpus: Corpus, data: bytes, embedding: np.ndarray | None = None):
    return corpus.search(query_views(media_of(data), embedding))


def unit(seed: int) -> np.ndarray:
    """A random direction in embedding space: unrelated to any other (cosine near 0)."""
    vector = np.random.default_rng(seed).standard_normal(DIM)
    return vector / np.linalg.norm(vector)


def at_cosine(vector: np.ndarray, cosine: float, seed: int = 99) -> np.ndarray:
    """A unit vector at exactly ``cosine`` from the unit ``vector``."""
    other = unit(seed) - unit(seed) @ vector * vector
    return cosine * vector + np.sqrt(1 - cosine**2) * other / np.linalg.norm(other)


@pytest.fixture
def corpus(db_url, tmp_path):
    """A corpus on SQLite and on a real PostgreSQL server, saving its copy under tmp_path."""
    with Corpus(Store.open(db_url), Settings(data_dir=tmp_path / "data")) as corpus:
        yield corpus


def add_pictures(corpus: Corpus, seeds, folder: str = "/pictures") -> None:
    corpus.add([indexed_image(media_of(encoded(picture(seed))), f"{folder}/{seed}.png") for seed in seeds])


# hashes


def test_phash_is_imagehash_phash_bit_for_bit():
    for seed in range(12):
        image = working_copy(np.asarray(picture(seed, (300 + 17 * seed, 200 + 11 * seed))))
        assert phash(image).hex() == str(imagehash.phash(image))


def real_images(count: int, skip: int = 0) -> list[Path]:
    """A fixed sample of the development data; skips the test when it is absent."""
    manifest = SHARED / "data" / "manifest.csv"
    if not manifest.exists():
        pytest.skip(f"{manifest} is absent (a clone without ../shared): real-image checks skipped")
    with manifest.open(newline="") as f:
        paths = sorted(SHARED / "data" / row["path"] for row in csv.DictReader(f))
    np.random.default_rng(0).shuffle(paths)
    return paths[skip : skip + count]


def test_phash_matches_imagehash_on_real_images():
    for path in real_images(40):
        image = working_copy(media_of(path.read_bytes()).rgb)
        assert phash(image).hex() == str(imagehash.phash(image)), path


# the index, on SQLite and PostgreSQL


@pytest.mark.slow
def test_edited_copies_find_their_original_and_other_pictures_find_nothing(corpus):
    add_pictures(corpus, range(10))
    for seed in (0, 3, 7):
        original = picture(seed)
        for name in FOUND_EDITS:
            matches = search(corpus, EDITS[name](original))
            assert matches, f"{name} copy of picture {seed} not found"
            best = matches[0]
            assert best.source == f"/pictures/{seed}.png", name
            assert best.pdq_distance <= 31 and best.distance == round(best.pdq_distance / 256, 4)
            assert (best.region is not None) == (name == "screenshot")
    for seed in range(100, 120):
        assert search(corpus, encoded(picture(seed), "JPEG", quality=80)) == []


def test_exact_bytes_match_at_distance_zero_with_the_stored_details(corpus):
    data = encoded(picture(5))
    corpus.add([indexed_image(media_of(data), "/pictures/5.png")])
    (match,) = search(corpus, data)
    assert (match.pdq_distance, match.phash_distance, match.region) == (0, 0, None)
    assert (match.width, match.height) == (480, 360)
    assert match.sha256 == media_of(data).meta.sha256
    assert match.first_seen.tzinfo is not None


def test_flat_images_match_only_by_their_exact_bytes(corpus):
    """Nearly blank images have no structure to hash: their hashes collide, so only identical bytes match."""
    white = Image.new("RGB", (400, 300), (250, 250, 250))
    corpus.add([indexed_image(media_of(encoded(white)), "/flat/white.png")])
    assert [m.source for m in search(corpus, encoded(white))] == ["/flat/white.png"]
    assert search(corpus, encoded(Image.new("RGB", (400, 300), (240, 244, 250)))) == []
    assert search(corpus, encoded(white, "JPEG", quality=90)) == []


def test_an_image_is_indexed_once_and_keeps_the_date_it_was_first_analyzed(corpus):
    data = encoded(picture(1))
    report = Engine().analyze(data, only=["metadata"])
    corpus.store.save_report(report)
    entry = indexed_image(media_of(data), "/a/1.png")
    assert corpus.add([entry, entry]) == 1
    assert corpus.add([entry]) == 0
    (match,) = search(corpus, data)
    assert match.source == "/a/1.png"
    assert abs((match.first_seen - report.created_at).total_seconds()) < 60


@pytest.mark.slow
def test_processes_sharing_a_database_see_each_others_changes(db_url, tmp_path):
    """Two corpora on one database, as the CLI and a server are: additions are fetched, removals reload."""
    settings = Settings(data_dir=tmp_path / "data")
    with Corpus(Store.open(db_url), settings) as writer, Corpus(Store.open(db_url), settings) as reader:
        add_pictures(writer, range(3))
        assert reader.size() == 3
        add_pictures(writer, range(3, 6))
        assert reader.size() == 6
        copy = EDITS["jpeg-q75"](picture(4))
        assert search(reader, copy)[0].source == "/pictures/4.png"
        assert writer.remove(sources=["/pictures/4.png"]) == 1
        assert search(reader, copy) == []
        assert reader.size() == 5
        assert writer.remove(sources=["/pictures"]) == 5  # a folder: everything below it
        assert reader.size() == 0


def test_removal_by_sha256_and_by_folder_only_below_it(corpus):
    add_pictures(corpus, range(2), "/p")
    add_pictures(corpus, range(2, 4), "/p_other")
    add_pictures(corpus, range(4, 5), "/p/sub%_")
    assert corpus.remove(sources=["/p/sub%_"]) == 1  # LIKE wildcards in a path are literal
    assert corpus.remove(sources=["/p"]) == 2
    assert corpus.size() == 2
    sha256 = media_of(encoded(picture(2))).meta.sha256
    assert corpus.remove(sha256s=[sha256]) == 1
    assert corpus.remove(sha256s=[sha256]) == 0
    assert [m.source for m in search(corpus, encoded(picture(3)))] == ["/p_other/3.png"]


def test_embeddings_are_stored_and_searched_by_cosine(corpus):
    """Embeddings go through the database (float16) into the cosine index: a query close enough to
    one is a "similar" match, a copy found by its hashes also gets its cosine, and an image
    indexed without an embedding still matches by its hashes."""
    pictures = [media_of(encoded(picture(seed))) for seed in range(3)]
    corpus.add([indexed_image(pictures[i], f"/pictures/{i}.png", embedding=unit(i)) for i in range(2)])
    corpus.add([indexed_image(pictures[2], "/pictures/2.png")])  # as before embeddings, or without the model
    assert corpus.stats().embedded == 2

    unrelated = encoded(picture(50), "JPEG", quality=80)
    (similar,) = search(corpus, unrelated, at_cosine(unit(1), SIMILAR_MIN + 0.02))
    assert (similar.kind, similar.source) == ("similar", "/pictures/1.png")
    assert similar.similarity == pytest.approx(SIMILAR_MIN + 0.02, abs=2e-3)  # float16 storage
    assert (similar.distance, similar.pdq_distance, similar.phash_distance, similar.region) == (None,) * 4
    assert search(corpus, unrelated, at_cosine(unit(1), SIMILAR_MIN - 0.02)) == []

    (copy, *others) = search(corpus, EDITS["jpeg-q75"](picture(0)), unit(0))
    assert (copy.kind, copy.source, others) == ("copy", "/pictures/0.png", [])
    assert copy.similarity == pytest.approx(1.0, abs=1e-3) and copy.pdq_distance <= 31
    (old,) = search(corpus, EDITS["jpeg-q75"](picture(2)), unit(7))
    assert (old.kind, old.source, old.similarity) == ("copy", "/pictures/2.png", None)

    # copies first, closest first; then similar images, most similar first
    found = search(corpus, EDITS["jpeg-q75"](picture(2)), at_cosine(unit(0), 0.99) + at_cosine(unit(1), 0.95))
    assert [(m.kind, m.source) for m in found] == [
        ("copy", "/pictures/2.png"),
        ("similar", "/pictures/0.png"),
        ("similar", "/pictures/1.png"),
    ]


def test_an_index_made_before_embeddings_upgrades_and_still_matches(db_url, tmp_path):
    """A database at revision 0003 (no embedding column) with an indexed image: opening it
    migrates it, and the image is still found by its hashes."""
    entry = indexed_image(media_of(encoded(picture(6))), "/old/6.png")
    engine = sa.create_engine(db_url)
    if engine.dialect.name == "sqlite":
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        columns = ("sha256", "source", "width", "height", "pdq", "pdq_quality", "phash")
        table = sa.table("indexed_images", *map(sa.column, columns), sa.column("first_seen", UTCDateTime()))
        values = {name: getattr(entry, name) for name in columns}
        connection.execute(sa.insert(table).values(**values, first_seen=datetime.now(UTC)))
    engine.dispose()
    with Corpus(Store.open(db_url), Settings(data_dir=tmp_path / "data")) as corpus:
        (match,) = search(corpus, EDITS["jpeg-q75"](picture(6)), unit(6))
        assert (match.kind, match.source, match.similarity) == ("copy", "/old/6.png", None)
        assert corpus.stats().embedded == 0


# the saved copy: a convenience, never the truth


def saved_copies(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "index").glob("*.npz"))


@pytest.mark.slow
def test_a_missing_stale_corrupt_or_foreign_saved_copy_is_rebuilt_from_the_database(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    with Corpus.open(settings) as corpus:
        add_pictures(corpus, range(4))
        corpus.save()
    (saved,) = saved_copies(settings.data_dir)
    stale = saved.read_bytes()

    def fresh_search(seed: int):
        with Corpus.open(settings) as corpus:  # a new process: starts from the saved copy
            return [m.source for m in search(corpus, EDITS["jpeg-q75"](picture(seed)))]

    assert fresh_search(2) == ["/pictures/2.png"]
    with Corpus.open(settings) as corpus:
        add_pictures(corpus, [10])  # the saved copy now lacks an addition ...
        corpus.remove(sources=["/pictures/1.png"])  # ... and holds a removed image
    saved.write_bytes(stale)
    assert fresh_search(10) == ["/pictures/10.png"]
    saved.write_bytes(stale)
    assert fresh_search(1) == []
    saved.write_bytes(b"not an index")
    assert fresh_search(3) == ["/pictures/3.png"]
    saved.unlink()
    assert fresh_search(3) == ["/pictures/3.png"]

    other = tmp_path / "other"
    with Corpus.open(Settings(data_dir=other)) as corpus:  # another database's copy, under this one's name
        add_pictures(corpus, [3], "/elsewhere")
        corpus.save()
    saved_copies(other)[0].replace(saved)
    assert fresh_search(3) == ["/pictures/3.png"]


def test_saved_copy_round_trips(tmp_path):
    with Corpus.open(Settings(data_dir=tmp_path)) as corpus:
        add_pictures(corpus, range(3))
        corpus.add([indexed_image(media_of(encoded(picture(3))), "/pictures/3.png", embedding=unit(3))])
        corpus.save()
        token = corpus.store.index_state().token
    loaded = HashIndex.load(saved_copies(tmp_path)[0], token)
    assert loaded is not None and len(loaded[0]) == 4
    (image_id, similarity), *_ = loaded[0].similar(unit(3), 0.99).items()
    assert image_id == loaded[0].last_id and similarity == pytest.approx(1.0, abs=1e-3)
    assert HashIndex.load(saved_copies(tmp_path)[0], "another database") is None


# the analyzer in pipeline runs


def test_without_an_index_reverse_search_declines_and_creates_nothing(tmp_path):
    report = Engine(Settings(data_dir=tmp_path)).analyze(encoded(picture(0)), only=["reverse_search"])
    section = report.analyzers["reverse_search"]
    assert section.status == "rejected"
    assert "no near-duplicate index exists yet" in section.reason and "pixelproof index add" in section.reason
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_an_empty_index_is_declined_too(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with Corpus.open(settings) as corpus:
        add_pictures(corpus, [0])
        corpus.remove(sources=["/pictures"])
    section = Engine(settings).analyze(encoded(picture(0)), only=["reverse_search"]).analyzers["reverse_search"]
    assert section.status == "rejected" and "index is empty" in section.reason


@pytest.mark.slow
def test_reverse_search_in_a_full_pipeline_run(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with Corpus.open(settings) as corpus:
        add_pictures(corpus, range(5))
    engine = Engine(settings)
    report = engine.analyze(EDITS["screenshot"](picture(2)))
    section = report.analyzers["reverse_search"]
    assert section.status == "processed"
    assert section.evidence["was_found"] is True and section.evidence["indexed_images"] == 5
    (match,) = section.evidence["matches"]  # indexed without embeddings: copies only
    assert match["source"] == "/pictures/2.png" and match["region"] is not None and match["kind"] == "copy"
    assert any(
        note.startswith("reverse_search: The image is a copy in a larger picture")
        for note in report.verdict.explanation
    )
    unrelated = engine.analyze(encoded(picture(50)), only=["reverse_search"]).analyzers["reverse_search"]
    evidence = unrelated.evidence
    del evidence["similar_skipped"]  # None or why, as the models are fetched or not: tested below
    assert evidence == {"was_found": False, "matches": [], "indexed_images": 5, "added_to_index": False}
    assert unrelated.signals == []


def test_without_the_clip_model_the_hashes_still_work_and_the_evidence_says_why(tmp_path):
    settings = Settings(data_dir=tmp_path, cache_dir=tmp_path / "no-models")
    with Corpus.open(settings) as corpus:
        add_pictures(corpus, range(3))
    section = Engine(settings).analyze(EDITS["jpeg-q75"](picture(1)), only=["reverse_search"]).analyzers
    evidence = section["reverse_search"].evidence
    assert evidence["was_found"] is True
    assert [(m["kind"], m["source"], m["similarity"]) for m in evidence["matches"]] == [
        ("copy", "/pictures/1.png", None)
    ]
    assert evidence["similar_skipped"].startswith("similar-image search skipped: model 'clip-vit-b16-float'")
    assert "pixelproof models fetch" in evidence["similar_skipped"]


@pytest.mark.slow
def test_index_analyzed_adds_every_image_the_analyzer_sees(tmp_path):
    engine = Engine(Settings(data_dir=tmp_path, index_analyzed=True))
    first = engine.analyze(encoded(picture(8)), only=["reverse_search"]).analyzers["reverse_search"]
    assert first.status == "processed"
    assert first.evidence["added_to_index"] is True and first.evidence["was_found"] is False
    again = engine.analyze(EDITS["jpeg-q50"](picture(8)), only=["reverse_search"]).analyzers["reverse_search"]
    assert again.evidence["was_found"] is True and again.evidence["matches"][0]["source"] is None
    assert again.evidence["added_to_index"] is True  # different bytes: a second entry


# `pixelproof index`, run for real


def pixelproof(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    assert CLI.exists(), f"{CLI} is missing: install the package into this environment"
    return subprocess.run(
        [str(CLI), *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},  # wide: a long temporary path must not wrap a message
        timeout=180,
    )


@pytest.fixture
def photos(tmp_path) -> Path:
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    for seed in range(3):
        (root / f"{seed}.png").write_bytes(encoded(picture(seed)))
    (root / "sub" / "3.jpg").write_bytes(encoded(picture(3), "JPEG", quality=90))
    (root / "sub" / "broken.jpg").write_bytes(encoded(picture(4), "JPEG")[:300])
    (root / "notes.txt").write_text("not an image")
    return root


@pytest.mark.slow
def test_index_add_remove_and_stats_on_the_command_line(photos, tmp_path):
    """Without the CLIP model: the images are indexed by their hashes, and the command says so."""
    data = ("--data-dir", tmp_path / "data")
    added = pixelproof("index", "add", photos, *data, env={"PIXELPROOF_CACHE_DIR": str(tmp_path / "no-models")})
    assert added.returncode == 0, added.stderr
    assert "Added 4 image(s), 0 already indexed, 1 failed; 4 in the index." in added.stdout
    assert "broken.jpg: corrupt_media" in added.stderr
    assert "similar-image search skipped" in added.stderr and "indexed by their hashes only" in added.stderr
    again = pixelproof("index", "add", str(photos / "*.png"), photos / "notes.txt", *data)
    assert "Added 0 image(s), 3 already indexed, 1 failed; 4 in the index." in again.stdout
    assert "notes.txt: unsupported_media_type" in again.stderr

    stats = json.loads(pixelproof("index", "stats", "--json", *data).stdout)
    assert stats["images"] == 4 and stats["embedded"] == 0 and stats["database"].startswith("sqlite:///")
    assert Path(stats["saved_copy"]).exists()

    assert pixelproof("index", "remove", photos / "0.png", *data).stdout.strip() == "Removed 1 image(s)."
    assert pixelproof("index", "remove", photos / "sub", *data).stdout.strip() == "Removed 1 image(s)."
    sha256 = media_of((photos / "1.png").read_bytes()).meta.sha256
    assert pixelproof("index", "remove", sha256.upper(), *data).stdout.strip() == "Removed 1 image(s)."
    missing = pixelproof("index", "remove", photos / "0.png", *data)
    assert missing.returncode == 1 and "no indexed image matches" in missing.stderr
    assert json.loads(pixelproof("index", "stats", "--json", *data).stdout)["images"] == 1

    usage = pixelproof("index", "add", tmp_path / "nowhere", *data)
    assert usage.returncode == 2 and "does not exist" in usage.stderr


@pytest.mark.slow
def test_the_index_persists_across_processes(photos, tmp_path):
    data_dir = tmp_path / "data"
    assert pixelproof("index", "add", photos, "--data-dir", data_dir).returncode == 0
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(EDITS["resize-0.5"](picture(1)))

    def scanned() -> dict:
        run = pixelproof("scan", "--json", "--only", "reverse_search", copy, env={"PIXELPROOF_DATA_DIR": str(data_dir)})
        assert run.returncode == 0, run.stderr
        (row,) = [json.loads(line) for line in run.stdout.splitlines()]
        return row["evidence"]["reverse_search"]

    found = scanned()
    assert found["was_found"] and found["matches"][0]["source"] == str((photos / "1.png").resolve())
    for saved in saved_copies(data_dir):
        saved.unlink()
    assert scanned()["matches"][0]["source"] == str((photos / "1.png").resolve())  # rebuilt from the database
    assert saved_copies(data_dir)  # and saved again
    pixelproof("index", "remove", photos / "1.png", "--data-dir", data_dir)
    assert scanned()["was_found"] is False


# the API indexes what it analyzes when asked to


def test_the_api_indexes_analyzed_images_with_the_setting(start_server, tmp_path):
    server = start_server(("--data-dir", str(tmp_path / "data")), "--open", env={"PIXELPROOF_INDEX_ANALYZED": "true"})
    with server.client() as client:

        def reverse_search(data: bytes) -> dict:
            response = client.post(
                "/v1/analyze",
                files={"image": ("x", data, "application/octet-stream")},
                params={"only": "reverse_search"},
            )
            assert response.status_code == 200, response.text
            return response.json()["analyzers"]["reverse_search"]["evidence"]

        assert reverse_search(encoded(picture(9)))["added_to_index"] is True
        found = reverse_search(EDITS["screenshot"](picture(9)))
        assert found["was_found"] is True and found["matches"][0]["region"] is not None


# the development data


@pytest.mark.slow
def test_real_copies_are_found_and_distinct_real_images_are_not(tmp_path):
    indexed, others = real_images(16), real_images(16, skip=16)
    with Corpus.open(Settings(data_dir=tmp_path, max_upload_bytes=50 * 1024 * 1024)) as corpus:
        corpus.add([indexed_image(media_of(path.read_bytes()), str(path)) for path in indexed])
        missed = []
        for path in indexed:
            original = Image.fromarray(media_of(path.read_bytes()).rgb)
            for name in FOUND_EDITS:
                matches = search(corpus, EDITS[name](original))
                if not matches or matches[0].source != str(path):
                    missed.append((name, path.name))
        # benchmarks/near_duplicates.py: re-encodes and resizes are always found, screenshots mostly
        assert [m for m in missed if m[0] != "screenshot"] == []
        assert len(missed) <= 2, missed
        false_matches = {path.name: search(corpus, path.read_bytes()) for path in others}
        assert {name: found for name, found in false_matches.items() if found} == {}


@pytest.fixture(scope="module")
def clip_corpus(fetched_models, tmp_path_factory):
    """Development images indexed with their embeddings (the real CLIP model), one without, and
    the settings an engine searching that index needs."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("clip"), cache_dir=fetched_models.cache_dir, max_upload_bytes=50 * 1024 * 1024
    )
    embedder, skipped = open_embedder(settings)
    assert skipped is None
    indexed = real_images(8)
    with Corpus.open(settings) as corpus:
        medias = [media_of(path.read_bytes()) for path in indexed]
        corpus.add(
            [indexed_image(m, str(p), embedding=embedder(m)) for m, p in zip(medias[:-1], indexed[:-1], strict=True)]
        )
        corpus.add([indexed_image(medias[-1], str(indexed[-1]))])  # as before embeddings
    return settings, indexed


def test_a_crop_is_found_as_similar_and_distinct_images_are_not(clip_corpus):
    settings, indexed = clip_corpus
    engine = Engine(settings)

    def evidence(data: bytes):
        section = engine.analyze(data, only=["reverse_search"]).analyzers["reverse_search"]
        assert section.status == "processed", section.reason
        return section

    for path in indexed[:3]:
        original = Image.fromarray(media_of(path.read_bytes()).rgb)
        crop = evidence(EDITS["crop-80-centre"](original))
        found = crop.evidence
        assert found["was_found"] is False and found["similar_skipped"] is None  # no copy: its hashes moved
        best = found["matches"][0]
        assert (best["kind"], best["source"], best["distance"]) == ("similar", str(path), None)
        assert best["similarity"] >= SIMILAR_MIN
        assert "looks like" in crop.signals[0].summary and crop.signals[0].points_to is None

        copy = evidence(EDITS["jpeg-q75"](original)).evidence
        assert copy["was_found"] is True
        assert (copy["matches"][0]["kind"], copy["matches"][0]["source"]) == ("copy", str(path))
        assert copy["matches"][0]["similarity"] >= SIMILAR_MIN  # CLIP agrees with the hashes

    unembedded = evidence(EDITS["jpeg-q75"](Image.fromarray(media_of(indexed[-1].read_bytes()).rgb))).evidence
    assert [(m["kind"], m["similarity"]) for m in unembedded["matches"]][:1] == [("copy", None)]

    for path in real_images(12, skip=8):
        assert evidence(path.read_bytes()).evidence["matches"] == [], path


def test_index_add_embeds_and_scan_finds_a_crop(clip_corpus, tmp_path):
    settings, indexed = clip_corpus
    env = {
        "PIXELPROOF_CACHE_DIR": str(settings.cache_dir),
        "PIXELPROOF_MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
    }
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in indexed[:2]:
        (folder / path.name).write_bytes(path.read_bytes())
    data = ("--data-dir", tmp_path / "data")
    added = pixelproof("index", "add", folder, *data, env=env)
    assert added.returncode == 0 and added.stderr == "", added.stderr
    stats = json.loads(pixelproof("index", "stats", "--json", *data, env=env).stdout)
    assert stats["images"] == stats["embedded"] == 2

    crop = tmp_path / "crop.jpg"
    crop.write_bytes(EDITS["crop-80-corner"](Image.fromarray(media_of(indexed[0].read_bytes()).rgb)))
    run = pixelproof(
        "scan", "--json", "--only", "reverse_search", crop, env={**env, "PIXELPROOF_DATA_DIR": str(tmp_path / "data")}
    )
    assert run.returncode == 0, run.stderr
    (row,) = [json.loads(line) for line in run.stdout.splitlines()]
    best = row["evidence"]["reverse_search"]["matches"][0]
    assert (best["kind"], best["source"]) == ("similar", str((folder / indexed[0].name).resolve()))
