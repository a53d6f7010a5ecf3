"""`rosetta serve`: the gateway on one port. Flags override ROSETTA_* environment variables.

`rosetta call` and `rosetta compare` are the clients' side, defined in clients/compare_cli.py.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import uvicorn

from clients.compare_cli import add_call_arguments, add_compare_arguments
from gateway.settings import Settings
from gateway.ws_transport import server_options

APP_FACTORY = "gateway.app:app_from_environment"


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (ROSETTA_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (ROSETTA_PORT, 8000)")
    parser.add_argument("--db", help="SQLite file path or database URL (ROSETTA_DB, rosetta.db)")
    parser.add_argument(
        "--reload", action="store_true", default=None, help="restart on code changes"
    )
    parser.add_argument("--workers", type=int, help="worker processes (ROSETTA_WORKERS, 1)")
    parser.add_argument("--api-token", help="token every change needs (ROSETTA_API_TOKEN)")
    parser.add_argument(
        "--no-seed",
        dest="seed",
        action="store_false",
        default=None,
        help="do not load sample books into an empty database",
    )
    parser.add_argument("--log-level", help="uvicorn log level (ROSETTA_LOG_LEVEL, info)")


def serve(args: argparse.Namespace) -> None:
    flags = {
        name: value
        for name in ("host", "port", "db", "reload", "workers", "api_token", "seed", "log_level")
        if (value := getattr(args, name, None)) is not None
    }
    # Reload and workers start fresh interpreters that build the app from the environment,
    # so the flags travel there too.
    for name, value in flags.items():
        os.environ[f"ROSETTA_{name.upper()}"] = str(value)
    settings = Settings()
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=settings.reload,
        workers=None if settings.reload else settings.workers,
        log_level=settings.log_level,
        # WebSocket limits and the graceful shutdown's bound live in uvicorn's transport.
        **server_options(settings),
    )


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
