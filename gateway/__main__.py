"""`python -m gateway [serve flags]`: the same as `rosetta serve`."""

import sys

from gateway.cli import main

if __name__ == "__main__":
    main(sys.argv[1:])
