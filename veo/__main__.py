"""``python -m veo``: the same as the ``veo`` command."""

from veo.cli import main

main()
