"""The progress bar of the long commands (scan, eval): on stderr, with the rate and the time left."""

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

FEW_FILES = 3  # up to this many, a run is over before a progress bar says anything


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} images/s" if speed else "– images/s", style="progress.data.speed")


def progress_bar(title: str, console: Console, *, disable: bool) -> Progress:
    """``Scanning ━━━━━━━  40/200  3.1 images/s  0:00:13 ETA 0:00:52``."""
    return Progress(
        TextColumn(title),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
        redirect_stdout=False,
        redirect_stderr=False,
    )
