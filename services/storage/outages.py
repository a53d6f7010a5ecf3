"""When the database is out of reach: each driver's failures that mean "down", named once.

A storage class wrapped by `translating` raises `Unavailable` instead of those failures, from
every public coroutine method, so no adapter ever has to tell a dead connection from a bug:
the first is `unavailable` in every protocol, the second stays a server fault. The driver's
own message goes to the log, never to the caller.

A database that hangs instead of refusing is an outage too, once a call has waited its
deadline. The deadline bounds the call as a whole, not each step: bounding only the connect
and each statement leaves the wait for a pooled connection unbounded, and while every pooled
connection is stuck on a server that does not answer, callers queue there, each one waiting
out the steps of all those before it.
"""

from __future__ import annotations

import asyncio
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
T = TypeVar("T")

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


def translating(
    is_outage: Callable[[BaseException], bool],
    deadline: Callable[[Any], float] | None = None,
    unbounded: frozenset[str] = frozenset(),
) -> Callable[[C], C]:
    """A class decorator: every public coroutine method raises Unavailable for an outage.

    With `deadline` (the seconds, read from the instance), each of those methods that is not
    named in `unbounded` also raises Unavailable once it has run that long.
    """

    def decorate(cls: C) -> C:
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(member):
                bound = None if name in unbounded else deadline
                setattr(cls, name, _translated(member, is_outage, bound))
        return cls

    return decorate


def _translated(
    method: Callable[..., Awaitable[Any]],
    is_outage: Callable[[BaseException], bool],
    deadline: Callable[[Any], float] | None,
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            if deadline is None:
                return await method(*args, **kwargs)
            # The method's own TimeoutError and the deadline's are the same outage.
            return await _within(method(*args, **kwargs), deadline(args[0]))
        except Unavailable:
            raise
        except Exception as error:
            if not is_outage(error):
                raise
            log.warning("database unavailable in %s: %r", method.__name__, error)
            raise Unavailable() from error

    return call


async def _within(call: Awaitable[T], seconds: float) -> T:
    """What `call` returns, or TimeoutError once `seconds` have passed.

    A call past its deadline is cancelled but, unlike under asyncio.timeout, not waited for:
    its clean-up (asking the server to cancel the statement, then giving the connection back
    to the pool) waits on the very server that does not answer, under bounds of its own.
    """
    task = asyncio.ensure_future(call)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    finally:
        if not task.done():
            task.cancel()
            task.add_done_callback(_forget)
    if not done:
        raise TimeoutError(f"no answer within {seconds:g} s")
    return task.result()


def _forget(task: asyncio.Future[Any]) -> None:
    """Reads the outcome of a call nobody waits for any more, so that asyncio does not log it."""
    if not task.cancelled():
        task.exception()
