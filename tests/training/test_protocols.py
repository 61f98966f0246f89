"""The cross-validation folds of training/protocols.py, on synthetic rows (no features needed)."""

import numpy as np

from training.protocols import MIN_GROUP, deal_real_sources, held_out_report, lofo_folds, loso_folds, out_of_fold

# (family or None for a real image, source): 4 AI families, one gallery with two families,
# one source with real and AI images, 9 sources of real images only
ROWS = (
    [("openai", "gallery")] * 6 + [("google", "gallery")] * 5 + [("flux", "comfy")] * 3
    + [("gan", "biggan")] * 4 + [(None, "biggan")] * 2
    + [(None, f"photos{i}") for i in range(9) for _ in range(i + 1)]
)  # fmt: skip
FAMILIES = [f for f, _ in ROWS]
SOURCES = [s for _, s in ROWS]
REAL = np.array([f is None for f in FAMILIES])


def test_every_family_is_held_out_whole_exactly_once():
    folds = lofo_folds(FAMILIES, SOURCES)
    assert [f.name for f in folds] == ["flux", "gan", "google", "openai"]
    held = np.sum([f.test for f in folds], axis=0)
    assert (held == 1).all()  # every image, AI and real, is scored exactly once
    for fold in folds:
        family = np.array([f == fold.name for f in FAMILIES])
        assert (fold.test[family]).all() and not fold.train[family].any()
        assert not (fold.test & ~REAL & ~family).any()  # no other family scored in this fold


def test_no_image_and_no_source_is_on_both_sides_of_a_fold():
    sources = np.array(SOURCES)
    for fold in lofo_folds(FAMILIES, SOURCES):
        assert not (fold.train & fold.test).any()
        assert not np.isin(sources[fold.train], sources[fold.test]).any()
        assert fold.train.any()
    google = next(f for f in lofo_folds(FAMILIES, SOURCES) if f.name == "google")
    assert not google.train[sources == "gallery"].any()  # the gallery's openai images are not fitted on either


def test_real_sources_are_dealt_disjointly_evenly_and_deterministically():
    dealt = deal_real_sources(FAMILIES, SOURCES)
    real_sources = {s for f, s in ROWS if f is None}
    assert set(dealt) == real_sources  # each real source in exactly one fold (a dict: disjoint)
    held = [list(dealt.values()).count(f) for f in ("flux", "gan", "google", "openai")]
    assert max(held) - min(held) <= 1  # 10 sources over 4 folds: 3, 3, 2, 2
    assert dealt == deal_real_sources(FAMILIES, SOURCES)
    order = np.random.default_rng(1).permutation(len(ROWS))
    assert dealt == deal_real_sources([FAMILIES[i] for i in order], [SOURCES[i] for i in order])  # row order is irrelevant
    assert deal_real_sources(FAMILIES, SOURCES, seed=2) != dealt  # the seed decides


def test_a_source_with_real_and_ai_images_is_held_out_with_its_family():
    assert deal_real_sources(FAMILIES, SOURCES)["biggan"] == "gan"
    gan = next(f for f in lofo_folds(FAMILIES, SOURCES) if f.name == "gan")
    assert gan.test[np.array(SOURCES) == "biggan"].all()


def test_loso_holds_out_each_source_once():
    folds = loso_folds(SOURCES)
    assert sorted(f.name for f in folds) == sorted(set(SOURCES))
    assert (np.sum([f.test for f in folds], axis=0) == 1).all()
    assert all((f.train == ~f.test).all() for f in folds)


def test_out_of_fold_scores_every_image_with_a_head_that_never_saw_its_family():
    rng = np.random.default_rng(0)
    labels = (~REAL).astype(np.int8)
    x = {"v": (rng.normal(size=(len(ROWS), 4)) + labels[:, None]).astype(np.float32)}
    parts = [{"views": [0], "pool": "cls", "layers": [0]}]
    folds = lofo_folds(FAMILIES, SOURCES)
    scores = out_of_fold(x, ["v"], ["v"], labels, np.array(SOURCES), folds, 1.0, 0.5, parts)["v"]
    assert not np.isnan(scores).any()


def test_the_worst_family_and_real_group_ignore_groups_too_small_to_judge():
    families = ["a"] * MIN_GROUP + ["b"] * MIN_GROUP + ["tiny"] + [None] * (2 * MIN_GROUP + 1)
    real_groups = [""] * (2 * MIN_GROUP + 1) + ["clean"] * MIN_GROUP + ["noisy"] * MIN_GROUP + ["one"]
    labels = np.array([f is not None for f in families])
    prob = np.array([0.95] * MIN_GROUP + [0.95, 0.2, 0.2, 0.2, 0.2] + [0.0] + [0.1] * MIN_GROUP + [0.95, 0.1, 0.1, 0.1, 0.1] + [0.99])
    report = held_out_report(labels, prob, prob, families, real_groups, 0.9)
    assert report["worst_family"] == "b" and report["by_family"]["b"]["recall"] == 0.2
    assert report["by_family"]["tiny"]["recall"] == 0.0  # listed, not named the worst
    assert report["worst_real_group"] == "noisy" and report["by_real_group"]["noisy"]["fpr"] == 0.2


def test_galleries_in_training_fits_on_a_held_out_familys_gallery_but_never_on_held_out_images():
    sources = np.array(SOURCES)
    for fold in lofo_folds(FAMILIES, SOURCES, galleries_in_training=True):
        assert not (fold.train & fold.test).any()
        assert not np.isin(sources[fold.train], sources[fold.test & REAL]).any()
    google = next(f for f in lofo_folds(FAMILIES, SOURCES, galleries_in_training=True) if f.name == "google")
    assert google.train[np.array(FAMILIES) == "openai"].all()  # same gallery, other family
