"""`python -m navbat`: the same as the `navbat` command."""

import sys

from navbat.cli import main

if __name__ == "__main__":
    sys.exit(main())
