"""The composition root of the `rosetta` command: `serve` from the gateway, `call` and `compare`
from the clients' side. The server package never imports the clients; only this module joins them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from clients.compare.cli import add_call_arguments, add_compare_arguments
from gateway.cli import add_serve_arguments, serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rosetta", description="One library service through REST, SOAP and WebSocket."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the gateway")
    add_serve_arguments(serve_parser)
    serve_parser.set_defaults(handler=serve)
    add_call_arguments(
        commands.add_parser("call", help="make one call through one protocol, --wire to see it")
    )
    add_compare_arguments(
        commands.add_parser("compare", help="run one operation through all three and compare")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.handler(args)
