"""The command line as a whole: `--version`, help that reads like a man page, and what
`pixelproof eval` writes."""

import base64
import json
import re
import sys
from pathlib import Path

import click
import numpy as np
import pytest
import typer

from pixelproof import __version__
from pixelproof.cli import app

from tests.support.cli import pixelproof_cli


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_version():
    result = pixelproof_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"pixelproof {__version__}\n"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda path: " ".join(path) or "pixelproof")
def test_help_has_no_type_labels_or_braces(command):
    result = pixelproof_cli(*command, "--help")
    assert result.exit_code == 0, result.output
    noise = re.findall(r"<[a-z][^>]*>|\{\w+\}|list\[|╭", result.stdout)  # <bool>, {paths}, list[str], Rich panels
    assert not noise, f"{noise} in the help of {' '.join(command)}:\n{result.stdout}"


def test_scan_help_names_its_arguments_and_exit_statuses():
    help_text = pixelproof_cli("scan", "--help").stdout
    assert "scan [OPTIONS] PATH..." in help_text
    assert "--only NAMES" in help_text and "-o, --output FILE" in help_text
    assert "Exit status:\n    0  every path was there" in help_text
    assert "    1  some path was not there" in help_text and "    3  no images found" in help_text


# `pixelproof eval`'s outputs, from given scores (scoring itself is tested in test_evaluation.py)


def _scored(n_ai: int, n_real: int) -> dict:
    from pixelproof.evaluation.runner import LabeledImage, VariantResult

    rng = np.random.default_rng(11)
    result = VariantResult("as-is")
    for i in range(n_ai + n_real):
        label = int(i < n_ai)
        group, written = (("sdxl", "dalle")[i % 2], "fake") if label else ("camera", "human")
        result.items.append(LabeledImage(Path(f"{i}.png"), label, group, written))
        result.scores.append(float(np.clip(rng.normal(0.7 if label else 0.3, 0.2), 0, 1)))
    return {"as-is": result}


def _write(tmp_path, band, capsys, **files):
    from pixelproof.cli.evaluate import write_results
    from pixelproof.evaluation.labels import readings

    raw = _scored(40, 12)
    meta = {"command": "pixelproof eval set/", "version": __version__, "date": "2026-12-08T00:00:00+00:00"}
    meta |= {"target": "set", "score": "verdict"}
    write_results(raw, band, 200, meta, readings(i.written for i in raw["as-is"].items), **files)
    return capsys.readouterr().out


def test_eval_report_is_one_html_file_with_its_figures_inside(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the [eval] extra is not installed")
    out = _write(tmp_path, (0.3, 0.7), capsys, report=tmp_path / "r.html", plots=tmp_path / "plots", json_out=tmp_path / "m.json")
    page = (tmp_path / "r.html").read_text()
    pngs = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(pngs) == 4 and all(base64.b64decode(png).startswith(b"\x89PNG") for png in pngs)
    written = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert written == ["reliability.png", "roc.png", "scores-by-class.png", "scores-by-group-as-is.png"]
    assert "src=\"http" not in page and "<link" not in page  # nothing fetched when opened
    labels_line = "labels: &#x27;fake&#x27; → ai (40 images), &#x27;human&#x27; → real (12)"
    for text in ("pixelproof eval set/", __version__, "2026-12-08", labels_line, "needs ≥ 100 real images (negatives)"):
        assert text in page
    assert "Confusion matrix, as-is: AI when P(AI) ≥ 0.700, real when < 0.300, uncertain between" in out
    assert "as-is: TPR at 1 % FPR needs ≥ 100 real images (negatives), have 12" in out
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["labels"] == [{"written": "fake", "read_as": "ai", "images": 40}, {"written": "human", "read_as": "real", "images": 12}]
    metrics = document["variants"]["as-is"]
    assert metrics["auc"] == float(f"{metrics['auc']:.4g}") and metrics["ci95"]["auc"][0] <= metrics["auc"]
    assert {w["metric"] for w in metrics["warnings"]} >= {"tpr_at_1pct_fpr", "tpr_at_5pct_fpr", "fpr"}


def test_eval_threshold_replaces_the_band_in_the_matrix(tmp_path, capsys):
    banded = _write(tmp_path, (0.3, 0.7), capsys, json_out=tmp_path / "band.json")
    at_half = _write(tmp_path, (0.5, 0.5), capsys, json_out=tmp_path / "half.json")
    assert "true \\ called ai uncertain real" in banded
    assert "AI when P(AI) ≥ 0.500, real below (--threshold)\ntrue \\ called ai real" in at_half
    band, half = (json.loads((tmp_path / f"{n}.json").read_text())["variants"]["as-is"] for n in ("band", "half"))
    assert sum(band["confusion"]["rows"]["ai"].values()) == sum(half["confusion"]["rows"]["ai"].values()) == 40
    assert half["confusion"]["rows"]["ai"]["ai"] > band["confusion"]["rows"]["ai"]["ai"]  # a lower bar catches more


def test_eval_names_the_extra_to_install_before_scoring_anything(tmp_path, monkeypatch):
    for label in ("ai", "real"):
        (tmp_path / label).mkdir()
        (tmp_path / label / "x.png").write_bytes(b"not read: the check comes first")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the [eval] extra were not installed
    result = pixelproof_cli("eval", str(tmp_path), "--report", str(tmp_path / "r.html"))
    assert result.exit_code == 2
    assert "plots and --report need matplotlib: pip install 'pixelproof[eval]'" in result.stderr


def test_eval_refuses_an_unknown_label_by_name(tmp_path):
    (tmp_path / "set.csv").write_text("path,label\na.png,ai\nb.png,maybe\n")
    result = pixelproof_cli("eval", str(tmp_path / "set.csv"))
    assert result.exit_code == 2
    assert "set.csv:3: label 'maybe' is neither AI (ai, fake, generated, synthetic, 1) nor real (real, human, 0)" in result.stderr
