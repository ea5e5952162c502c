"""python -m snippets.diagnostic"""

import sys

from snippets.cli import fail_fast
from snippets.diagnostic import main

if __name__ == "__main__":
    fail_fast()
    sys.exit(main())
