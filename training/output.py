"""Where a training run writes its head: a folder the developer names with ``--out``, or, only
when asked with ``--ship``, over the shipped head inside the package (what the next release
carries), so an experiment cannot silently replace it."""

import argparse
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HeadFiles:
    head: Path
    training_list: Path  # the sha256 of every training image
    metrics: Path

    def inside(self, folder: Path) -> "HeadFiles":
        return HeadFiles(folder / self.head.name, folder / self.training_list.name, folder / self.metrics.name)


def add_output_options(parser: argparse.ArgumentParser, shipped: HeadFiles) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, metavar="DIR", help="write the head, its training manifest and metrics into DIR")
    where.add_argument("--ship", action="store_true", help=f"replace the shipped head ({shipped.head}) and {shipped.metrics}")


def chosen_output(args: argparse.Namespace, parser: argparse.ArgumentParser, shipped: HeadFiles) -> HeadFiles | None:
    """The files to write; None for a dry run, which writes nothing."""
    if args.dry_run:
        return None
    if args.ship:
        return shipped
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        return shipped.inside(args.out)
    parser.error("say where the head goes: --out DIR, or --ship to replace the shipped one (or --dry-run)")
