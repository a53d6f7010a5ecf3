"""The composition root of the `rosetta` command: `serve` from the gateway, `call` and `compare`
from the clients' side. The server package never imports the clients; only this module joins them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from clients.compare.cli import add_call_arguments, add_compare_arguments
from frameworks.serving import FRAMEWORKS, serve_framework
from gateway.cli import add_serve_arguments, serve, settings_to_serve


def add_framework_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--framework",
        choices=FRAMEWORKS,
        default=FRAMEWORKS[0],
        help="fastapi: the gateway with REST, SOAP and WebSocket (default); flask, django or "
        "tornado: the same REST contract in that framework (tornado also serves /ws)",
    )


def serve_command(args: argparse.Namespace) -> None:
    if args.framework == FRAMEWORKS[0]:
        serve(args)
        return
    if args.reload or (args.workers or 1) > 1:
        raise SystemExit(
            f"rosetta serve: --reload and --workers serve fastapi only, not {args.framework}"
        )
    serve_framework(args.framework, settings_to_serve(args))


EXAMPLES = """\
examples:
  rosetta serve --port 8000
  rosetta call rest get_book isbn=9780132350884
  rosetta compare get_book isbn=9780132350884 --runs 5

`rosetta COMMAND --help` tells more of each command."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rosetta",
        description="One library service through REST, SOAP and WebSocket.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve_parser = commands.add_parser("serve", help="run the gateway")
    add_serve_arguments(serve_parser)
    add_framework_argument(serve_parser)
    serve_parser.set_defaults(handler=serve_command)
    add_call_arguments(
        commands.add_parser("call", help="make one call through one protocol, --wire to see it")
    )
    add_compare_arguments(
        commands.add_parser("compare", help="run one operation through all three and compare")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # Nothing to do: say what there is to do, as a wrong command line does (status 2).
        parser.print_help()
        raise SystemExit(2)
    args.handler(args)
