"""python -m snippets.benchmark"""

from snippets.benchmark import main
from snippets.cli import run_command

if __name__ == "__main__":
    run_command(main, check_store=False)  # ses magasins sont temporaires
