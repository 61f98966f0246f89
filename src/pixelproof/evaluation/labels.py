"""The words people label images with, and an account of how each one was read.

Test sets arrive as folders named ``fake/`` and ``human/`` or CSVs with ``1``/``0``; reading
them all, and printing how each word was taken, lets a user catch a swapped label before
trusting any number.
"""

from collections import Counter
from collections.abc import Iterable

from ..errors import PixelproofError

AI_WORDS = ("ai", "fake", "generated", "synthetic", "1")
REAL_WORDS = ("real", "human", "0")
WORDS = {word: 1 for word in AI_WORDS} | {word: 0 for word in REAL_WORDS}
CLASS_NAMES = {1: "ai", 0: "real"}


class BadLabelSet(PixelproofError):
    code = "bad_label_set"


def is_label(word: str) -> bool:
    return word.strip().lower() in WORDS


def parse_label(word: str, where: str) -> int:
    """1 for AI, 0 for real; any other word is an error naming it and the words we know."""
    try:
        return WORDS[word.strip().lower()]
    except KeyError:
        raise BadLabelSet(
            f"{where}: label {word!r} is neither AI ({', '.join(AI_WORDS)}) nor real ({', '.join(REAL_WORDS)})"
        ) from None


def readings(written: Iterable[str]) -> list[dict]:
    """Each label as written, the class it was read as and how many images carry it."""
    rows = [{"written": word, "read_as": CLASS_NAMES[WORDS[word.strip().lower()]], "images": n} for word, n in Counter(written).items()]
    return sorted(rows, key=lambda row: (row["read_as"] != "ai", row["written"]))  # AI first


def describe(rows: list[dict]) -> str:
    """``labels: 'fake' → ai (12 images), 'human' → real (10)``"""
    parts = []
    for i, row in enumerate(rows):
        unit = "" if i else " image" if row["images"] == 1 else " images"  # the first count says what it counts
        parts.append(f"{row['written']!r} → {row['read_as']} ({row['images']}{unit})")
    return "labels: " + ", ".join(parts)
