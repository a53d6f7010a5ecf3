"""Which storage a `--db` value opens: a plain path or a sqlite:// URL is a SQLite file,
a postgresql:// URL a PostgreSQL database."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from services.storage.postgres import DEFAULT_TIMEOUT, PostgresStorage
from services.storage.sqlite import SqliteStorage

SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
POSTGRESQL_DRIVERS = {"postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg2"}


async def open_storage(
    db: str, call_timeout: float = DEFAULT_TIMEOUT
) -> SqliteStorage | PostgresStorage:
    """The storage for `db`, its tables created if missing; `call_timeout` bounds each database
    call on PostgreSQL (SQLite's calls are bounded by its busy timeout)."""
    storage: SqliteStorage | PostgresStorage
    if "://" not in db:
        storage = SqliteStorage(db)
    else:
        # SQLAlchemy's URL parser, since URLs of its dialect names (sqlite+aiosqlite://...)
        # were accepted before and still are.
        url = make_url(db)
        if url.drivername in SQLITE_DRIVERS:
            storage = SqliteStorage(url.database or ":memory:")
        elif url.drivername in POSTGRESQL_DRIVERS:
            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            storage = await PostgresStorage.connect(dsn, call_timeout)
        else:
            raise ValueError(f"unsupported database {url.drivername!r}: use SQLite or PostgreSQL")
    await storage.create_schema()
    return storage
