"""Engines for the catalogue's database: an embedded SQLite file by default, or PostgreSQL.

SQLite gets WAL (readers never wait for the writer), a busy timeout (writers from other
processes queue instead of failing) and `BEGIN IMMEDIATE` for writes: a deferred transaction
that reads first and writes later can fail at once with "database is locked", which the busy
timeout does not cover. Reads and writes therefore use two engines over the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

BUSY_TIMEOUT_MS = 10_000


def database_url(db: str) -> str:
    """A SQLAlchemy URL from either a URL or a plain SQLite file path."""
    if "://" in db:
        url = make_url(db)
        if url.drivername in {"sqlite", "sqlite+pysqlite"}:
            url = url.set(drivername="sqlite+aiosqlite")
        elif url.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
            url = url.set(drivername="postgresql+asyncpg")
        return url.render_as_string(hide_password=False)
    return f"sqlite+aiosqlite:///{Path(db).expanduser()}"


@dataclass
class Engines:
    reader: AsyncEngine
    writer: AsyncEngine

    @property
    def is_postgresql(self) -> bool:
        return self.writer.dialect.name == "postgresql"

    async def dispose(self) -> None:
        await self.reader.dispose()
        if self.writer is not self.reader:
            await self.writer.dispose()


def create_engines(db: str) -> Engines:
    url = database_url(db)
    if not url.startswith("sqlite"):
        engine = create_async_engine(url, pool_pre_ping=True)
        return Engines(reader=engine, writer=engine)
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    reader = create_async_engine(url)
    writer = create_async_engine(url)
    _tune_sqlite(reader, begin="BEGIN")
    _tune_sqlite(writer, begin="BEGIN IMMEDIATE")
    return Engines(reader=reader, writer=writer)


def _tune_sqlite(engine: AsyncEngine, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that `begin` below decides the mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)
