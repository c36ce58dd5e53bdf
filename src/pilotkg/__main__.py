"""``python -m pilotkg``: the same command line as ``pilotkg``."""

from .cli import main

main()
