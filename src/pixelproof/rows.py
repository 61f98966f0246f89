"""One row per file: what `pixelproof scan --json` prints and `pixelproof batch` stores.

Both commands make their rows here, so the same file gives the same row whichever ran it.
"""

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass

from .errors import PixelproofError
from .pipeline import Engine
from .report import Report


@dataclass(frozen=True)
class Job:
    """What to run on every file of one command: the analyzers, full reports or rows, the heatmap."""

    analyzers: list[str]
    full: bool
    heatmap: bool | None = None


def analyzed_row(engine: Engine, job: Job, path: str, load: Callable[[], bytes], done: Collection[str] = ()) -> dict | None:
    """The row of the bytes ``load`` returns, under the name ``path``; None when their SHA-256 is
    in ``done`` (a resumed `batch` has that row already, so the image is read, never re-analyzed)."""
    data = None
    try:
        data = load()
        if done and hashlib.sha256(data).hexdigest() in done:
            return None
        report = engine.analyze(data, only=job.analyzers, heatmap=job.heatmap)
    except PixelproofError as exc:
        return error_row(path, exc.code, exc.message, data)
    except OSError as exc:
        return error_row(path, "unreadable", f"cannot read the file: {exc.strerror or exc}", data)
    except Exception as exc:  # noqa: BLE001 - one bad file must not end a scan of thousands
        return error_row(path, "internal_error", f"{type(exc).__name__}: {exc}", data)
    if job.full:
        return {"path": path, "error": None, **report.model_dump(mode="json")}
    return _row(path, report)


def _row(path: str, report: Report) -> dict:
    verdict = report.verdict
    return {
        "path": path,
        "sha256": report.media.sha256,
        "report_id": report.id,
        "label": verdict.label,
        "ai_generated": verdict.ai_generated,
        "generator": verdict.generator.model_dump(mode="json"),
        "decided_by": verdict.decided_by,
        "evidence": {name: section.evidence for name, section in report.analyzers.items()},
        "not_processed": {
            name: {"status": section.status, "reason": section.reason}
            for name, section in report.analyzers.items()
            if section.status != "processed"
        },
        "error": None,
    }


def error_row(path: str, code: str, message: str, data: bytes | None) -> dict:
    return {
        "path": path,
        "sha256": hashlib.sha256(data).hexdigest() if data else None,
        "report_id": None,
        "label": None,
        "ai_generated": None,
        "generator": None,
        "decided_by": None,
        "evidence": {},
        "not_processed": {},
        "error": {"code": code, "message": message},
    }
