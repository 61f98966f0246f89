"""``python -m pixelproof.cli``: the same as the ``pixelproof`` command."""

from . import main

main()
