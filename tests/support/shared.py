"""Locating the repository, ../shared and the development data, which a fresh clone
elsewhere does not have (training/locations.py says where they are)."""

import csv
from pathlib import Path

import pytest

from training.locations import SHARED

REPO_ROOT = Path(__file__).resolve().parents[2]


def fixture_rows(prefix: str = "") -> list[dict]:
    """Rows of shared/fixtures/manifest.csv under ``prefix``; skips the test when absent."""
    manifest = SHARED / "fixtures" / "manifest.csv"
    if not manifest.exists():
        pytest.skip(f"{manifest} is absent (a clone without ../shared): real-world fixture checks skipped")
    with manifest.open(newline="") as f:
        return [row for row in csv.DictReader(f) if row["path"].startswith(prefix)]


def expectations(row: dict) -> dict[str, str]:
    """Parse the manifest's ``expect`` column: ``key=value`` pairs joined by ``;``."""
    pairs = (item.split("=", 1) for item in row["expect"].split(";") if "=" in item)
    return {key: value for key, value in pairs}


def data_images(group: str) -> list[Path]:
    """The images of one group of shared/data/manifest.csv (the development set), in manifest
    order; skips the test when the folder is absent."""
    manifest = SHARED / "data" / "manifest.csv"
    if not manifest.exists():
        pytest.skip(f"{manifest} is absent (a clone without ../shared): checks on its images skipped")
    with manifest.open(newline="") as f:
        return [SHARED / "data" / row["path"] for row in csv.DictReader(f) if row["group"] == group]
