"""`python -m frameworks NAME [serve flags]`: the same as `rosetta serve --framework NAME`."""

from __future__ import annotations

import argparse

from frameworks.serving import FRAMEWORKS, serve_framework
from gateway.cli import add_serve_arguments, settings_from


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m frameworks", description=__doc__)
    parser.add_argument("framework", choices=FRAMEWORKS[1:])
    add_serve_arguments(parser)
    args = parser.parse_args()
    serve_framework(args.framework, settings_from(args))


if __name__ == "__main__":
    main()
