"""When the database is out of reach: each driver's failures that mean "down", named once.

A storage class wrapped by `translating` raises `Unavailable` instead of those failures, from
every public coroutine method, so no adapter ever has to tell a dead connection from a bug:
the first is `unavailable` in every protocol, the second stays a server fault. The driver's
own message goes to the log, never to the caller.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from services.errors import Unavailable

log = logging.getLogger(__name__)

C = TypeVar("C", bound=type)

# SQLSTATE classes 08 (connection exception), 53 (insufficient resources: too many
# connections, disk full) and 57 (operator intervention: shutdown, crash recovery, a
# statement cancelled by its timeout); OSError covers a refused or reset socket, TimeoutError
# a connect or command that ran out of time. asyncpg raises InternalClientError ("another
# operation is in progress") when a statement starts on a pooled connection while the server's
# message ending that connection is being read: seen when the server shuts down.
_POSTGRES_OUTAGES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)

# SQLite's primary result codes for a file that cannot be opened, read or written, or a lock
# still held when the busy timeout ran out; a constraint or a syntax error is not an outage.
_SQLITE_OUTAGES = frozenset({"SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_BUSY"})


def is_postgres_outage(error: BaseException) -> bool:
    if isinstance(error, _POSTGRES_OUTAGES):
        return True
    # asyncpg names a connection that died before this call with its generic InterfaceError;
    # its other InterfaceErrors are misuse, that is bugs.
    return isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error)


def is_sqlite_outage(error: BaseException) -> bool:
    if not isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        return False
    # Extended codes (SQLITE_IOERR_FSYNC...) start with their primary code's name.
    name = getattr(error, "sqlite_errorname", "")
    return any(name == code or name.startswith(code + "_") for code in _SQLITE_OUTAGES)


def translating(is_outage: Callable[[BaseException], bool]) -> Callable[[C], C]:
    """A class decorator: every public coroutine method raises Unavailable for an outage."""

    def decorate(cls: C) -> C:
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(member):
                setattr(cls, name, _translated(member, is_outage))
        return cls

    return decorate


def _translated(
    method: Callable[..., Awaitable[Any]], is_outage: Callable[[BaseException], bool]
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except Unavailable:
            raise
        except Exception as error:
            if not is_outage(error):
                raise
            log.warning("database unavailable in %s: %r", method.__name__, error)
            raise Unavailable() from error

    return call
