"""``python -m pixelproof``: the same as the ``pixelproof`` command."""

from .cli import main

main()
