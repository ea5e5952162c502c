"""python -m snippets.verifier"""

import sys

from snippets.cli import run_command
from snippets.verifier.command import main

if __name__ == "__main__":
    run_command(
        lambda: sys.exit(main()),
        interrupted="Interrompu (Ctrl+C) : rien n'a été écrit.",
    )
