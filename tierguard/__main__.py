"""``python -m tierguard`` is the ``tierguard`` command."""

from tierguard.cli import main

main()
