"""`pixelproof eval TARGET`: measure accuracy on any labelled images, as-is/stripped/degraded."""

import csv
import json
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .. import __version__
from ..analyzers.pixels_head import load_head
from ..errors import PixelproofError
from ..evaluation import html_report, presentation
from ..evaluation.confidence import RESAMPLES
from ..evaluation.labels import describe, readings
from ..evaluation.plots import figures, require_matplotlib
from ..evaluation.runner import VariantResult, metrics, read_labeled, score_all
from ..evaluation.variants import ALL_VARIANTS, VARIANTS
from ..pipeline import Engine
from ..settings import Settings
from .progress import progress_bar


def _tables(results: dict[str, dict], resamples: int) -> list[presentation.Table]:
    scored = {name: m for name, m in results.items() if "confusion" in m}
    tables = [presentation.headline(results)]
    if resamples:
        tables.append(presentation.intervals(results, resamples))
    return tables + [presentation.confusion(name, m) for name, m in scored.items()] + [presentation.groups(results)]


def _write_per_image(path: Path, raw: dict[str, VariantResult]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "group", "variant", "ai_probability"])
        for name, result in raw.items():
            for item, p in zip(result.items, result.scores, strict=True):
                writer.writerow([item.path, "ai" if item.label else "real", item.group, name, p])


def eval_command(
    target: Annotated[
        Path,
        typer.Argument(
            metavar="FOLDER|CSV",
            help="Folder with ai/ and real/ sub-folders (or fake/, human/, 1/, 0/...), or a CSV with path,label[,group].",
        ),
    ],
    variants: Annotated[
        str, typer.Option(metavar="NAMES", help="Comma-separated: as-is, stripped, degraded, and the stress test frame (a video still).")
    ] = ",".join(VARIANTS),
    score: Annotated[
        str, typer.Option(metavar="verdict|pixels", help="`verdict` (the fused product answer) or `pixels` (the pixel model alone).")
    ] = "verdict",
    threshold: Annotated[
        float | None,
        typer.Option(
            metavar="P",
            min=0.0,
            max=1.0,
            help="Call AI when P(AI) >= P (confusion matrix, precision/recall/F1, FPR, per-group rates) "
            "instead of the shipped ai/uncertain/real band.",
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option(metavar="N", min=0, help="Bootstrap resamples for the 95 % intervals (0: none).")
    ] = RESAMPLES,
    json_out: Annotated[Path | None, typer.Option("--json", metavar="FILE", help="Write all metrics here as JSON.")] = None,
    per_image: Annotated[Path | None, typer.Option(metavar="FILE", help="Write every image's score per variant to this CSV.")] = None,
    plots: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Write the ROC curve, reliability diagram and score histograms as PNG (needs pixelproof[eval])."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write one self-contained HTML report: tables, warnings and figures (needs pixelproof[eval])."),
    ] = None,
) -> None:
    """Score labelled images with the shipped engine: AUC and TPR at 1 %/5 % FPR with 95 % intervals,
    the confusion matrix, precision/recall/F1 and per-group rates."""
    chosen = tuple(v.strip() for v in variants.split(",") if v.strip())
    unknown = set(chosen) - set(ALL_VARIANTS)
    if unknown or score not in ("verdict", "pixels"):
        raise typer.BadParameter(f"variants must be among {', '.join(ALL_VARIANTS)}; score is verdict or pixels")
    try:
        if plots or report:
            require_matplotlib()  # before reading the set and minutes of scoring, not after
        items = read_labeled(target)
    except PixelproofError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    label_rows = readings(item.written for item in items)
    head, _ = load_head()
    band = (threshold, threshold) if threshold is not None else head.band
    typer.echo(describe(label_rows), err=True)
    typer.echo(f"{len(items)} images, variants {', '.join(chosen)}; {presentation.rule(band)}", err=True)
    stderr = Console(stderr=True)
    with progress_bar("Scoring", stderr, disable=not stderr.is_terminal) as bar:
        task = bar.add_task("", total=len(items))
        raw = score_all(items, Engine(Settings()), chosen, score, lambda done, total: bar.update(task, completed=done))
    for name, result in raw.items():
        for item, why in result.unscored[:5]:
            typer.echo(f"unscored ({name}): {item.path}: {why}", err=True)
    command = ["pixelproof", "eval", str(target), "--variants", ",".join(chosen), "--score", score, "--resamples", str(resamples)]
    meta = {
        "command": shlex.join(command + (["--threshold", str(threshold)] if threshold is not None else [])),
        "version": __version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "target": str(target),
        "score": score,
    }
    write_results(raw, band, resamples, meta, label_rows, json_out=json_out, per_image=per_image, plots=plots, report=report)


def write_results(
    raw: dict[str, VariantResult],
    band: tuple[float, float],
    resamples: int,
    meta: dict[str, str],
    label_rows: list[dict],
    *,
    json_out: Path | None = None,
    per_image: Path | None = None,
    plots: Path | None = None,
    report: Path | None = None,
) -> None:
    """The tables on stdout, and each file asked for, from the scores of every variant."""
    results = {name: metrics(result, band[1], band if band[0] < band[1] else None, resamples) for name, result in raw.items()}
    tables, warnings = _tables(results, resamples), presentation.warnings(results)
    notes = [describe(label_rows), f"Scores: {meta['score']}; {presentation.rule(band)}."]
    typer.echo("\n\n".join(presentation.as_text(t) for t in tables))
    if warnings:
        typer.echo("\nWarnings (too few examples):\n" + "\n".join(f"  {w}" for w in warnings))
    if json_out:
        document = {**meta, "labels": label_rows, "decision_band": list(band), "variants": results}
        json_out.write_text(json.dumps(presentation.rounded(document), indent=2, ensure_ascii=False))
    if per_image:
        _write_per_image(per_image, raw)
    if plots or report:
        pngs = figures(raw, band)
        if plots:
            plots.mkdir(parents=True, exist_ok=True)
            for name, png in pngs.items():
                (plots / name).write_bytes(png)
        if report:
            title = f"pixelproof eval: {Path(meta['target']).name}"
            page = html_report.render(title=title, meta=meta, notes=notes, tables=tables, warnings=warnings, figures=pngs)
            report.write_text(page, encoding="utf-8")
