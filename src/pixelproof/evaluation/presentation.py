"""The evaluation's numbers as tables (one layout for the terminal and the HTML report) and
as JSON rounded to what the data can support."""

import math
from dataclasses import dataclass

from .metrics import AT_FPR

DIGITS = 4  # significant digits in JSON: a 1000-image set cannot support more


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]


def rounded(value, digits: int = DIGITS):
    """``value`` with every float cut to ``digits`` significant digits and NaN as null (JSON has no NaN)."""
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value


def _num(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.3f}"


def _flagged(m: dict, key: str) -> str:
    """The metric, with "!" when a warning says it rests on too few examples."""
    return _num(m.get(key)) + ("!" if any(w["metric"] == key for w in m.get("warnings", [])) else "")


HEADLINE = {
    "AUC": "auc", "TPR@1%FPR": "tpr_at_1pct_fpr", "TPR@5%FPR": "tpr_at_5pct_fpr", "precision": "precision",
    "recall": "recall", "F1": "f1", "FPR": "fpr", "bal.acc": "balanced_accuracy", "uncertain": "uncertain_share", "ECE": "ece",
}  # fmt: skip


def headline(results: dict[str, dict]) -> Table:
    rows = []
    for name, m in results.items():
        if not m.get("n_ai", 0) + m.get("n_real", 0):
            rows.append([name, "0", "0"] + ["–"] * len(HEADLINE))
            continue
        rows.append([name, str(m["n_ai"]), str(m["n_real"])] + [_flagged(m, key) for key in HEADLINE.values()])
    return Table("Metrics (! = too few examples, see the warnings)", ["variant", "AI", "real", *HEADLINE], rows)


def intervals(results: dict[str, dict], resamples: int) -> Table:
    keys = ["auc", *AT_FPR]
    rows = [
        [name] + ["–".join(_num(v) for v in m["ci95"][key]) for key in keys] for name, m in results.items() if m.get("ci95")
    ]
    title = f"95 % intervals (bootstrap: {resamples} resamples of each class, fixed seed)"
    return Table(title, ["variant", "AUC", "TPR@1%FPR", "TPR@5%FPR"], rows)


def rule(band: tuple[float, float]) -> str:
    low, high = band
    if low < high:
        return f"AI when P(AI) ≥ {high:.3f}, real when < {low:.3f}, uncertain between (counted as not called AI)"
    return f"AI when P(AI) ≥ {high:.3f}, real below (--threshold)"


def confusion(name: str, m: dict) -> Table:
    matrix = m["confusion"]
    rows = [[f"{truth} ({sum(counts.values())})"] + [str(counts[c]) for c in matrix["columns"]] for truth, counts in matrix["rows"].items()]
    return Table(f"Confusion matrix, {name}: {rule(matrix['band'])}", ["true \\ called", *matrix["columns"]], rows)


def groups(results: dict[str, dict]) -> Table:
    rows = []
    for name, m in results.items():
        for key, title in (("recall_by_ai_group", "recall"), ("fpr_by_real_group", "false positives")):
            for group, (rate, n) in m.get(key, {}).items():
                rows.append([name, title, group, _num(rate), str(n)])
    return Table("Per group (at the AI threshold)", ["variant", "rate", "group", "value", "images"], rows)


def warnings(results: dict[str, dict]) -> list[str]:
    return [f"{name}: {w['message']}" for name, m in results.items() for w in m.get("warnings", [])]


def as_text(table: Table) -> str:
    """Fixed-width columns: the first left-aligned, the numbers right-aligned."""
    cells = [table.header, *table.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.header))]
    lines = [" ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))) for row in cells]
    return "\n".join([table.title, *(line.rstrip() for line in lines)])
