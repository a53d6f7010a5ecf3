"""Which storage a `--db` value opens: a plain path or a sqlite:// URL is a SQLite file,
a postgresql:// URL a PostgreSQL database."""

from __future__ import annotations

import os
import sqlite3

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from services.errors import Unavailable
from services.storage.outages import is_postgres_outage
from services.storage.postgres import DEFAULT_TIMEOUT, PostgresStorage
from services.storage.sqlite import SqliteStorage

SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
POSTGRESQL_DRIVERS = {"postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg2"}


class CannotOpen(Exception):
    """The database is out of reach, does not answer, or refuses to be opened."""


async def open_storage(
    db: str, call_timeout: float = DEFAULT_TIMEOUT
) -> SqliteStorage | PostgresStorage:
    """The storage for `db`, its tables created if missing; `call_timeout` bounds each database
    call on PostgreSQL (SQLite's calls are bounded by its busy timeout).

    Raises CannotOpen, its message naming the database (never its password) and the cause,
    when the database cannot be reached or does not answer in time, or turns this client
    away (a wrong password, no such database, no right to create the tables).
    """
    try:
        storage = await _storage_for(db, call_timeout)
        try:
            await storage.create_schema()
        except BaseException:
            await storage.close()
            raise
    except Exception as error:
        if not _turned_away(error):
            raise
        cause = _cause(error, call_timeout)
        raise CannotOpen(f"cannot open the database {shown(db)}: {cause}") from error
    return storage


async def _storage_for(db: str, call_timeout: float) -> SqliteStorage | PostgresStorage:
    if "://" not in db:
        return SqliteStorage(db)
    # SQLAlchemy's URL parser, since URLs of its dialect names (sqlite+aiosqlite://...)
    # were accepted before and still are.
    try:
        url = make_url(db)
    except (ArgumentError, ValueError):
        # Not echoed: a URL that cannot be read cannot have its password masked either.
        raise CannotOpen(
            "cannot open the database: its URL cannot be read; give a SQLite file or a "
            "postgresql:// URL"
        ) from None
    if url.drivername in SQLITE_DRIVERS:
        return SqliteStorage(url.database or ":memory:")
    if url.drivername in POSTGRESQL_DRIVERS:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return await PostgresStorage.connect(dsn, call_timeout)
    raise CannotOpen(
        f"cannot open the database {shown(db)}: {url.drivername!r} is not supported; "
        "give a SQLite file or a postgresql:// URL"
    )


def shown(db: str) -> str:
    """`db` as logs and messages may show it: a URL's password masked."""
    return make_url(db).render_as_string(hide_password=True) if "://" in db else db


def _turned_away(error: Exception) -> bool:
    """An outage, or the server's own refusal; anything else is a bug, and keeps its traceback."""
    refused = asyncpg.PostgresError | sqlite3.DatabaseError | OSError
    return isinstance(error, Unavailable | refused) or is_postgres_outage(error)


def _cause(error: BaseException, call_timeout: float) -> str:
    # Unavailable keeps the driver's words to itself; here they are what the operator needs.
    if isinstance(error, Unavailable) and error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, TimeoutError):
        return f"no answer within {call_timeout:g} s"
    if isinstance(error, ConnectionError) and error.errno:
        return os.strerror(error.errno).lower()  # not asyncio's "Connect call failed"
    return " ".join(str(error).split()) or type(error).__name__
