"""`rosetta serve`: the gateway on one port. Flags override ROSETTA_* environment variables.

The `rosetta` command itself is assembled in rosetta/cli.py, which adds the clients' side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

import uvicorn

from gateway.settings import Settings
from gateway.taken_port import taken_port_refusal
from gateway.worker_metrics import folder_for_workers
from gateway.ws.transport import server_options
from services.storage.database import CannotOpen, open_storage

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
    parser.add_argument(
        "--instance", help="this gateway's name in /metrics (ROSETTA_INSTANCE, host:port)"
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings the flags and the environment give; the flags also go into the environment."""
    flags = {
        name: value
        for name in (
            "host",
            "port",
            "db",
            "reload",
            "workers",
            "api_token",
            "seed",
            "log_level",
            "instance",
        )
        if (value := getattr(args, name, None)) is not None
    }
    # Reload and workers start fresh interpreters that build the app from the environment,
    # and so does Django's settings module: the flags travel there too.
    for name, value in flags.items():
        os.environ[f"ROSETTA_{name.upper()}"] = str(value)
    return Settings()


def settings_to_serve(args: argparse.Namespace) -> Settings:
    """The settings of `rosetta serve`, once its port is free and its database opens; else
    one line on stderr that says what is wrong, and status 1."""
    settings = settings_from(args)
    _refuse_a_taken_port(settings)
    _require_database(settings)
    return settings


def _refuse_a_taken_port(settings: Settings) -> None:
    refusal = taken_port_refusal(settings.host, settings.port)
    if refusal is not None:
        raise SystemExit(refusal)


def _require_database(settings: Settings) -> None:
    """Opens the database once, creating its tables, or exits: one line on stderr that names
    the database and the cause, and status 1.

    Why a gateway without its database refuses to start, rather than start and answer
    `unavailable` until the database comes: starting creates the tables, which needs the
    database; and whatever supervises the gateway (systemd's Restart=, compose's restart:, an
    orchestrator) already retries a start that fails, while a gateway up but of no use looks,
    to systemd at least, like one that runs. This runs before uvicorn does: a start that fails
    inside uvicorn's worker logs a traceback and, with --workers, exits with status 0, which
    tells the supervisor that all went well.
    """

    async def open_and_close() -> None:
        storage = await open_storage(settings.db, settings.db_timeout)
        await storage.close()

    try:
        asyncio.run(open_and_close())
    except CannotOpen as error:
        raise SystemExit(f"rosetta serve: {error}") from None


def serve(args: argparse.Namespace) -> None:
    settings = settings_to_serve(args)
    workers = 1 if settings.reload else settings.workers
    with folder_for_workers(workers):
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=settings.host,
            port=settings.port,
            reload=settings.reload,
            workers=workers,
            log_level=settings.log_level,
            # WebSocket limits and the graceful shutdown's bound live in uvicorn's transport.
            **server_options(settings),
        )


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m gateway [flags]`: the serve command alone."""
    parser = argparse.ArgumentParser(prog="python -m gateway", description="Run the gateway.")
    add_serve_arguments(parser)
    serve(parser.parse_args(argv))
