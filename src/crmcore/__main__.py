"""``python -m crmcore``: the command line."""

import sys

from crmcore.cli import main

if __name__ == "__main__":  # pragma: no branch - imported only by python -m
    sys.exit(main())
