"""Help that reads like a man page: `scan [OPTIONS] PATH...`, not Typer's `{paths}... <list[str]>`."""

import click
from typer.core import TyperArgument, TyperGroup


class _Argument(TyperArgument):
    """An argument shown by its metavar alone, an optional one in brackets."""

    def display_type_rich(self, ctx: click.Context) -> None:
        return None  # the metavar says what it is; Typer would add `<list[str]>`

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [self.metavar if self.required else f"[{self.metavar}]"]


class ManPageGroup(TyperGroup):
    """The root command: every command below it gets plain help (no Rich panels, no `<bool>`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self)


def _plain(command: click.Command) -> None:
    """Plain help, and a metavar from the parameter's name wherever the code gave none
    (``--data-dir DATA_DIR``, ``KEY_ID``): never Typer's type label."""
    command.rich_markup_mode = None
    for param in command.params:
        if type(param) is TyperArgument:
            param.__class__ = _Argument
        if param.metavar is None and not getattr(param, "is_flag", False):
            param.metavar = param.name.upper() + ("..." if param.nargs == -1 else "")
    for sub in getattr(command, "commands", {}).values():
        _plain(sub)
