"""`pixelproof eval TARGET`: measure accuracy on any labelled images, as-is/stripped/degraded."""

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..analyzers.pixels_head import load_head
from ..errors import PixelproofError
from ..evaluation.runner import metrics, read_labeled, score_all
from ..evaluation.variants import ALL_VARIANTS, VARIANTS
from ..pipeline import Engine
from ..settings import Settings
from .progress import progress_bar


def _table(results: dict[str, dict]) -> str:
    head = f"{'variant':<10} {'n_ai':>5} {'n_real':>6} {'AUC':>6} {'TPR@1%':>7} {'TPR@5%':>7} {'bal.acc':>7} {'FPR':>6} {'uncert.':>7}"
    lines = [head]
    for name, m in results.items():
        if not m.get("n_ai", 0) + m.get("n_real", 0):
            lines.append(f"{name:<10} no scored images ({m['unscored']} unscored)")
            continue
        lines.append(
            f"{name:<10} {m['n_ai']:>5} {m['n_real']:>6} {m['auc']:>6.3f} {m['tpr_at_1pct_fpr']:>7.3f} "
            f"{m['tpr_at_5pct_fpr']:>7.3f} {m['balanced_accuracy']:>7.3f} {m['fpr']:>6.3f} {m.get('uncertain_share', 0):>7.3f}"
        )
    return "\n".join(lines)


def _groups(results: dict[str, dict]) -> str:
    lines = []
    for name, m in results.items():
        for key, title in (("recall_by_ai_group", "recall"), ("fpr_by_real_group", "false positives")):
            for group, (rate, n) in m.get(key, {}).items():
                lines.append(f"{name:<10} {title:<16} {group:<40} {rate:6.3f}  (n={n})")
    return "\n".join(lines)


def eval_command(
    target: Annotated[Path, typer.Argument(metavar="FOLDER|CSV", help="Folder with ai/ and real/ sub-folders, or a CSV with path,label[,group].")],
    variants: Annotated[
        str, typer.Option(metavar="NAMES", help="Comma-separated: as-is, stripped, degraded, and the stress test frame (a video still).")
    ] = ",".join(VARIANTS),
    score: Annotated[str, typer.Option(metavar="verdict|pixels", help="`verdict` (the fused product answer) or `pixels` (the pixel model alone).")] = "verdict",
    json_out: Annotated[Path | None, typer.Option("--json", metavar="FILE", help="Write all metrics here as JSON.")] = None,
    per_image: Annotated[Path | None, typer.Option(metavar="FILE", help="Write every image's score per variant to this CSV.")] = None,
) -> None:
    """Score labelled images with the shipped engine and print AUC, TPR at 1 %/5 % FPR and per-group rates."""
    chosen = tuple(v.strip() for v in variants.split(",") if v.strip())
    unknown = set(chosen) - set(ALL_VARIANTS)
    if unknown or score not in ("verdict", "pixels"):
        raise typer.BadParameter(f"variants must be among {', '.join(ALL_VARIANTS)}; score is verdict or pixels")
    try:
        items = read_labeled(target)
    except PixelproofError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    head, _ = load_head()
    low, high = head.band
    engine = Engine(Settings())
    typer.echo(f"{len(items)} images, variants {', '.join(chosen)}; AI when P(AI) >= {high:.3f}", err=True)
    stderr = Console(stderr=True)
    with progress_bar("Scoring", stderr, disable=not stderr.is_terminal) as bar:
        task = bar.add_task("", total=len(items))
        raw = score_all(items, engine, chosen, score, lambda done, total: bar.update(task, completed=done))
    results = {name: metrics(result, high, (low, high)) for name, result in raw.items()}
    typer.echo(_table(results))
    typer.echo(_groups(results))
    for name, result in raw.items():
        for item, why in result.unscored[:5]:
            typer.echo(f"unscored ({name}): {item.path}: {why}", err=True)
    if json_out:
        json_out.write_text(json.dumps({"target": str(target), "score": score, "variants": results}, indent=2))
    if per_image:
        with per_image.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["path", "label", "group", "variant", "ai_probability"])
            for name, result in raw.items():
                for item, p in zip(result.items, result.scores, strict=True):
                    writer.writerow([item.path, "ai" if item.label else "real", item.group, name, p])
