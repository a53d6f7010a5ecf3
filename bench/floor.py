"""`python -m bench.floor --db PATH`: the service alone, beside the bare driver running its SQL.

What every server pays for an operation before any protocol work: the floor under all
throughput figures. The service is called in-process from as many concurrent callers as the
load has connections. The driver's floor is the same statements (the storage's own SQL text)
through sqlite3 or asyncpg alone, one call after another, with no service or storage code: the
least any storage on that database could cost. Both are CPU time of this process, all threads
included, measured in the same run. PostgreSQL is measured too when a throwaway server can be
started (initdb installed), or at `--postgres URL`.

Prints a table; `--json` prints one object instead: {database: {"service": {op: us},
"driver": {op: us}}}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import cast

import asyncpg

from bench import payloads
from services.catalogue import open_catalogue
from services.service import LibraryService
from services.storage import postgres, sqlite

WARMUP_CALLS = 50
CALLERS = 32  # the load's connections
TARGET_RATIO = 3.0  # service / driver, issue "the service at the speed of its database"

Call = Callable[[], Awaitable[object]]
Floors = dict[str, dict[str, float]]  # "service" or "driver": operation: CPU us per call


async def cpu_per_call(call: Call, seconds: float, callers: int = CALLERS) -> float:
    for _ in range(WARMUP_CALLS):
        await call()
    calls = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal calls
        while time.perf_counter() < deadline and calls < 1_000_000:
            await call()
            calls += 1

    cpu = time.process_time()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return (time.process_time() - cpu) / calls * 1e6


@contextlib.asynccontextmanager
async def service_calls(db: str) -> AsyncIterator[dict[str, Call]]:
    catalogue = await open_catalogue(db, seed=True)
    service: LibraryService = catalogue.service
    isbns = payloads.isbns(70)
    try:
        yield {
            "get_book": lambda: service.get_book(payloads.ISBN),
            "list_books": lambda: service.list_books(),
            "add_book": lambda: service.add_book(payloads.book_fields(next(isbns))),
        }
    finally:
        await catalogue.close()


def _book_rows(isbn: str) -> tuple[tuple[object, ...], list[tuple[str, int, str]], str]:
    """The values add_book writes for `isbn`: the books row, the list rows, the event's data."""
    fields = payloads.book_fields(isbn)
    authors = [(isbn, i, name) for i, name in enumerate(cast(list[str], fields["authors"]))]
    tags = [(isbn, i, tag) for i, tag in enumerate(cast(list[str], fields["tags"]))]
    row: tuple[object, ...] = (isbn, fields["title"], fields["published"], 1250, "EUR", 2, 1)
    return row, authors + tags, json.dumps(fields)


@contextlib.asynccontextmanager
async def sqlite_driver_calls(path: str) -> AsyncIterator[dict[str, Call]]:
    """The storage's statements through sqlite3 alone, on the file the service uses."""
    db = sqlite3.connect(path, isolation_level=None)
    isbns = payloads.isbns(71)
    page = sqlite.list_books_sql(())

    async def get_book() -> object:
        return db.execute(sqlite.GET_BOOK, (payloads.ISBN,)).fetchone()

    async def list_books() -> object:
        return db.execute(page, {"limit": 20, "offset": 0}).fetchall()

    async def add_book() -> object:
        isbn = next(isbns)
        row, lists, data = _book_rows(isbn)
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        db.execute("BEGIN IMMEDIATE")
        db.execute("SELECT version FROM retired_books WHERE isbn = ?", (isbn,)).fetchone()
        db.execute(sqlite.INSERT_BOOK, (*row, now))
        db.execute("DELETE FROM retired_books WHERE isbn = ?", (isbn,))
        db.executemany(
            "INSERT INTO book_authors (isbn, position, name) VALUES (?, ?, ?)", lists[:2]
        )
        db.executemany("INSERT INTO book_tags (isbn, position, tag) VALUES (?, ?, ?)", lists[2:])
        db.execute(sqlite.INSERT_EVENT, ("book.added", now, data))
        db.execute("COMMIT")
        return None

    try:
        yield {"get_book": get_book, "list_books": list_books, "add_book": add_book}
    finally:
        db.close()


@contextlib.asynccontextmanager
async def postgres_driver_calls(dsn: str) -> AsyncIterator[dict[str, Call]]:
    """The storage's statements through asyncpg alone, one connection, no pool."""
    db = await asyncpg.connect(dsn)
    isbns = payloads.isbns(71)
    page = postgres.list_books_sql(())

    async def get_book() -> object:
        return await db.fetchrow(postgres.GET_BOOK, payloads.ISBN)

    async def list_books() -> object:
        return await db.fetch(page, 20, 0)

    async def add_book() -> object:
        isbn = next(isbns)
        row, lists, data = _book_rows(isbn)
        now = datetime.now(UTC).replace(tzinfo=None)
        published = datetime.fromisoformat(str(row[2])).date()
        async with db.transaction():
            await db.execute(postgres.LOCK, postgres.WRITE_LOCK)
            await db.fetchval("DELETE FROM retired_books WHERE isbn = $1 RETURNING version", isbn)
            await db.execute(postgres.INSERT_BOOK, *row[:2], published, *row[3:], now)
            await db.executemany(
                "INSERT INTO book_authors (isbn, position, name) VALUES ($1, $2, $3)", lists[:2]
            )
            await db.executemany(
                "INSERT INTO book_tags (isbn, position, tag) VALUES ($1, $2, $3)", lists[2:]
            )
            await db.execute(postgres.INSERT_EVENT, "book.added", now, data)
        return None

    try:
        yield {"get_book": get_book, "list_books": list_books, "add_book": add_book}
    finally:
        await db.close()


async def floors_of(
    db: str, driver: Callable[[str], AbstractAsyncContextManager[dict[str, Call]]], seconds: float
) -> Floors:
    """Each operation through the service, then at once through the driver, on the same
    database: the reads see as many books on both sides."""
    floors: Floors = {"service": {}, "driver": {}}
    async with service_calls(db) as service, driver(db) as bare:
        for op, call in service.items():
            floors["service"][op] = await cpu_per_call(call, seconds)
            floors["driver"][op] = await cpu_per_call(bare[op], seconds, callers=1)
    return floors


async def measure(db: str, seconds: float, postgres_url: str | None) -> dict[str, Floors]:
    floors = {"sqlite": await floors_of(db, sqlite_driver_calls, seconds)}
    if postgres_url is not None:
        floors["postgresql"] = await floors_of(postgres_url, postgres_driver_calls, seconds)
    return floors


@contextlib.contextmanager
def throwaway_postgres(wanted: str) -> Iterator[str | None]:
    """`wanted` itself, none for "none", or for "auto" a temporary server when one can start."""
    if wanted != "auto":
        yield None if wanted == "none" else wanted
        return
    # The test suite's throwaway server: initdb in a temporary folder, on a free port.
    from tests.postgres import create_database, postgres_server, why_unavailable

    if why_unavailable() is not None:
        yield None
        return
    with postgres_server() as server:
        yield create_database(server)


def table(floors: dict[str, Floors]) -> str:
    lines = ["CPU us per call: the service alone, and the same SQL through the bare driver"]
    lines.append(
        f"{'database':<11}{'operation':<12}{'service':>9}{'driver':>9}{'ratio':>8}  target"
    )
    for database, floor in floors.items():
        for op, service in floor["service"].items():
            driver = floor["driver"][op]
            lines.append(
                f"{database:<11}{op:<12}{service:>9.1f}{driver:>9.1f}"
                f"{service / driver:>7.1f}x  <= {TARGET_RATIO:.0f}x"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="a SQLite file for the run (created)")
    parser.add_argument("--seconds", type=float, default=2.0, help="per operation and side")
    parser.add_argument(
        "--postgres",
        default="auto",
        help='a database URL, "auto" (a throwaway server if initdb is installed) or "none"',
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args()
    with throwaway_postgres(args.postgres) as postgres_url:
        floors = asyncio.run(measure(args.db, args.seconds, postgres_url))
    print(json.dumps(floors) if args.json else table(floors))


if __name__ == "__main__":
    main()
