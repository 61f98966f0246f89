"""`pixelproof scan`'s output: a table for people, JSON lines or CSV for programs."""

import csv
import json
from collections import Counter
from collections.abc import Iterable
from typing import TextIO

from rich.markup import escape
from rich.table import Table

CSV_COLUMNS = "path label ai_generated generator decided_by sha256 report_id error_code error_message".split()
LABEL_STYLES = {"ai": "bold red", "human": "bold green", "uncertain": "yellow", "error": "magenta"}



def _csv_row(row: dict) -> list:
    error = row["error"] or {}
    generator = row["generator"] or {}
    values = {
        **row,
        "generator": generator.get("family"),
        "error_code": error.get("code"),
        "error_message": error.get("message"),
    }
    return ["" if values[column] is None else values[column] for column in CSV_COLUMNS]


def table(rows: list[dict]) -> Table:
    labels = Counter(row["label"] or "error" for row in rows)
    table = Table(caption=", ".join(_count(n, label) for label, n in labels.most_common()))
    for column in ("File", "Verdict", "P(AI)", "Generator", "Decided by / error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        label = row["label"] or "error"
        generator = row["generator"] or {}
        family = generator.get("family")
        note = f"{row['error']['code']}: {row['error']['message']}" if row["error"] else row["decided_by"] or ""
        table.add_row(
            escape(row["path"]),
            f"[{LABEL_STYLES[label]}]{label}[/]",
            "–" if row["ai_generated"] is None else f"{row['ai_generated']:.2f}",
            escape(family if family and family != "unknown" else ""),
            escape(note),
        )
    return table


def _count(n: int, label: str) -> str:
    """``1 error``, ``2 errors``; the verdicts (ai, human, uncertain) are adjectives."""
    return f"{n} {label}{'s' if label == 'error' and n != 1 else ''}"


def write_lines(rows: Iterable[dict], out: TextIO, fmt: str) -> None:
    """JSON lines or CSV, each row written as soon as its image is done."""
    if fmt == "json":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()  # so `| jq` sees each image at once
    else:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(_csv_row(row))
