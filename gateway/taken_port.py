"""A taken port, found before `rosetta serve` opens its database: the servers' own refusal is
a log line (uvicorn) or a traceback (waitress, Tornado) that says nothing of what to do."""

from __future__ import annotations

import errno
import socket


def taken_port_refusal(host: str, port: int) -> str | None:
    """One line naming the fix when something already listens on host:port; None otherwise,
    and for any other failure, which the server itself then reports."""
    if port == 0:  # a free port, drawn by the server
        return None
    try:
        # create_server sets SO_REUSEADDR, as the servers do: a port in TIME_WAIT is free.
        with socket.create_server((host, port)):
            return None
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            return None
    other = port + 1
    return (
        f"rosetta serve: {host}:{port} is already in use (another server, or a `rosetta serve` "
        f"still running); stop it, or choose another port: --port {other}, or "
        f"ROSETTA_PORT={other} make run"
    )
