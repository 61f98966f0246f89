"""The command line as a whole: `--version`, and help that reads like a man page."""

import re

import click
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
