"""``python -m glossary_dl``: the same command as ``glossary-dl``."""

import sys

from glossary_dl.cli import main

if __name__ == "__main__":
    sys.exit(main())
