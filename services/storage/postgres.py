"""Storage on PostgreSQL through asyncpg, used directly.

Why asyncpg alone: it speaks the binary protocol from the event loop and prepares each
statement once per connection (its statement cache is keyed by the SQL text, and every
statement here is constant text), so a read is one round trip with no ORM or compile step.

Writers take one transaction-scoped advisory lock first, so writes of every worker process
commit one after the other: events then commit in the order of their seq, and a check made at
the start of a write (a version, the copies on loan) still holds when it commits.

Each event's transaction also sends a NOTIFY on EVENTS_CHANNEL, delivered at commit to every
gateway instance that listens (services/storage/commit_listener.py). Its payload is the seq
alone, a hint to read the outbox now: NOTIFY reaches no listener that is disconnected, so the
outbox stays the record and polling the fallback.

Every call is bounded: as a whole by `call_timeout`, waiting for a pooled connection included
(services/storage/outages.py says why), and connecting and each statement by the same bound, so
that the server hears of a statement abandoned; a failure that means the database is down, out
of reach or not answering raises Unavailable. The pool replaces dead connections by itself
when the server comes back.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from services.events import (
    BOOK_ADDED,
    BOOK_REMOVED,
    BOOK_UPDATED,
    LOAN_CLOSED,
    LOAN_OPENED,
    Event,
)
from services.models import (
    Book,
    BookQuery,
    Loan,
    LoanQuery,
    NewBook,
    Page,
    book_as_dict,
    loan_as_dict,
)
from services.storage import refusals
from services.storage.commit_listener import CommitListener
from services.storage.outages import is_postgres_outage, translating
from services.storage.schema import create_statements, new_epoch
from services.storage.values import (
    added_book,
    cents,
    changed_book,
    containing,
    naive_utc,
    price_of,
    stored,
)

Transaction: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

# Lock ids: one for every writer, one for creating the tables (two first starts at once).
WRITE_LOCK = 727_001
SCHEMA_LOCK = 727_002
LOCK = "SELECT pg_advisory_xact_lock($1)"
EVENTS_CHANNEL = "rosetta_events"
DEFAULT_TIMEOUT = 5.0  # seconds: connecting, and each statement

_BOOK_COLUMNS = """b.isbn, b.title, b.published, b.price_cents, b.currency, b.copies, b.on_loan,
 b.version, b.updated_at,
 ARRAY(SELECT name FROM book_authors WHERE isbn = b.isbn ORDER BY position),
 ARRAY(SELECT tag FROM book_tags WHERE isbn = b.isbn ORDER BY position)"""
GET_BOOK = f"SELECT {_BOOK_COLUMNS} FROM books b WHERE b.isbn = $1"

# Parameters $1 and $2 are the page's limit and offset; filters take the next ones in order.
_AUTHOR_LIKE = (
    "EXISTS (SELECT 1 FROM book_authors a WHERE a.isbn = b.isbn"
    " AND lower(a.name) LIKE lower(${n}) ESCAPE '/')"
)
_BOOK_FILTERS = {
    "q": "(lower(b.title) LIKE lower(${n}) ESCAPE '/' OR " + _AUTHOR_LIKE + ")",
    "author": _AUTHOR_LIKE,
    "tag": "EXISTS (SELECT 1 FROM book_tags t WHERE t.isbn = b.isbn AND lower(t.tag) = ${n})",
}


@functools.cache
def list_books_sql(filters: tuple[str, ...]) -> str:
    """One statement for a page and its total, so both come from the same snapshot.

    The page picks isbns first and joins the books after, so authors and tags are gathered
    for the page's rows only; the outer join keeps the total when the page is empty.
    """
    where = (
        " AND ".join(_BOOK_FILTERS[name].format(n=n) for n, name in enumerate(filters, 3)) or "true"
    )
    return f"""WITH page AS (
  SELECT b.isbn, b.title FROM books b WHERE {where}
  ORDER BY b.title, b.isbn LIMIT $1 OFFSET $2)
SELECT (SELECT count(*) FROM books b WHERE {where}), {_BOOK_COLUMNS}
FROM (SELECT 1) AS one LEFT JOIN page ON true LEFT JOIN books b ON b.isbn = page.isbn
ORDER BY page.title, page.isbn"""


_LOAN_COLUMNS = "id, isbn, member, borrowed_at, due, returned_at"
GET_LOAN = f"SELECT {_LOAN_COLUMNS} FROM loans WHERE id = $1"
EVENTS_AFTER = "SELECT seq, type, at, data FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
INSERT_BOOK = """INSERT INTO books
 (isbn, title, published, price_cents, currency, copies, on_loan, version, updated_at)
 VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)"""
UPDATE_BOOK = """UPDATE books SET title = $1, published = $2, price_cents = $3, currency = $4,
 copies = $5, version = $6, updated_at = $7 WHERE isbn = $8"""
TAKE_COPY = """UPDATE books SET on_loan = on_loan + 1, version = version + 1, updated_at = $1
 WHERE isbn = $2 AND on_loan < copies RETURNING isbn"""
GIVE_BACK_COPY = """UPDATE books SET on_loan = on_loan - 1, version = version + 1, updated_at = $1
 WHERE isbn = $2"""
CLOSE_LOAN = f"""UPDATE loans SET returned_at = $1 WHERE id = $2 AND returned_at IS NULL
 RETURNING {_LOAN_COLUMNS}"""
# pg_notify rather than NOTIFY: the statement's own seq becomes the payload.
INSERT_EVENT = f"""WITH recorded AS
 (INSERT INTO events (type, at, data) VALUES ($1, $2, $3) RETURNING seq)
 SELECT pg_notify('{EVENTS_CHANNEL}', seq::text) FROM recorded"""
ADD_EVENT_STREAM = """INSERT INTO event_stream (id, epoch, pruned_through) VALUES (1, $1, 0)
 ON CONFLICT (id) DO NOTHING"""
# The seq of the last event of the next batch to prune: the `limit`-th oldest up to a bound.
PRUNE_CUT = """SELECT max(seq) FROM
 (SELECT seq FROM events WHERE seq <= $1 ORDER BY seq LIMIT $2) AS batch"""


# `close` bounds each of its own steps, and ends a pool that cannot close by cutting it: it
# must not give up half-way for a deadline.
@translating(
    is_postgres_outage,
    deadline=lambda storage: storage.call_timeout,
    unbounded=frozenset({"close"}),
)
class PostgresStorage:
    """The Storage port on one PostgreSQL database."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, call_timeout: float = DEFAULT_TIMEOUT) -> None:
        self._pool = pool
        self._dsn = dsn
        self.call_timeout = call_timeout  # seconds: every call, and each step in it
        self._listener: CommitListener | None = None

    @classmethod
    async def connect(cls, dsn: str, call_timeout: float = DEFAULT_TIMEOUT) -> PostgresStorage:
        pool = await asyncpg.create_pool(
            dsn, min_size=1, max_size=10, timeout=call_timeout, command_timeout=call_timeout
        )
        return cls(pool, dsn, call_timeout)

    async def follow_commits(self, wake: Callable[[], None]) -> None:
        """Calls `wake` at each commit of an event by any instance, and after each reconnect
        of the listening connection, until `close`."""
        if self._listener is None:
            self._listener = CommitListener(self._dsn, EVENTS_CHANNEL, wake, self.call_timeout)
            self._listener.start()

    async def ping(self) -> None:
        """Raises Unavailable unless the database answers a trivial query in time."""
        async with self._pool.acquire() as db:
            await db.fetchval("SELECT 1")

    async def create_schema(self) -> None:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute(LOCK, SCHEMA_LOCK)
            # SQLAlchemy leaves this constructor unannotated; it only compiles the DDL here.
            dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
            for table, statements in create_statements(dialect):
                if await db.fetchval("SELECT to_regclass($1)", table) is None:
                    for statement in statements:
                        await db.execute(statement)
            await db.execute(ADD_EVENT_STREAM, new_epoch())

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
        # A pool whose server is gone cannot close its connections politely: bounded, then cut.
        try:
            await asyncio.wait_for(self._pool.close(), self.call_timeout)
        except TimeoutError:
            self._pool.terminate()

    # -- reads: one statement each

    async def get_book(self, isbn: str) -> Book | None:
        row = await self._pool.fetchrow(GET_BOOK, isbn)
        return None if row is None else _book(row)

    async def list_books(self, query: BookQuery) -> Page:
        found: dict[str, object] = {}
        if query.q:
            found["q"] = containing(query.q)
        if query.author:
            found["author"] = containing(query.author)
        if query.tag:
            found["tag"] = query.tag.lower()
        filters = tuple(name for name in _BOOK_FILTERS if name in found)
        rows = await self._pool.fetch(
            list_books_sql(filters), query.limit, query.offset, *(found[f] for f in filters)
        )
        items = tuple(_book(tuple(row)[1:]) for row in rows if row[1] is not None)
        return Page(items=items, total=rows[0][0], limit=query.limit, offset=query.offset)

    async def get_loan(self, loan_id: str) -> Loan | None:
        row = await self._pool.fetchrow(GET_LOAN, loan_id)
        return None if row is None else _loan(row)

    async def list_loans(self, query: LoanQuery) -> list[Loan]:
        filters: list[str] = []
        params: list[object] = []
        if query.member is not None:
            params.append(query.member)
            filters.append(f"member = ${len(params)}")
        if query.isbn is not None:
            params.append(query.isbn)
            filters.append(f"isbn = ${len(params)}")
        if query.open_only:
            filters.append("returned_at IS NULL")
        where = " AND ".join(filters) or "true"
        sql = f"SELECT {_LOAN_COLUMNS} FROM loans WHERE {where} ORDER BY borrowed_at, id"
        return [_loan(row) for row in await self._pool.fetch(sql, *params)]

    async def count_books(self) -> int:
        count: int = await self._pool.fetchval("SELECT count(*) FROM books")
        return count

    async def last_event_seq(self) -> int:
        seq: int | None = await self._pool.fetchval("SELECT max(seq) FROM events")
        return seq or 0

    async def events_after(self, seq: int, limit: int) -> list[Event]:
        rows = await self._pool.fetch(EVENTS_AFTER, seq, limit)
        return [
            Event(s, kind, at.replace(tzinfo=UTC), json.loads(data)) for s, kind, at, data in rows
        ]

    async def event_epoch(self) -> str:
        epoch: str = await self._pool.fetchval("SELECT epoch FROM event_stream")
        return epoch

    async def pruned_through(self) -> int:
        seq: int = await self._pool.fetchval("SELECT pruned_through FROM event_stream")
        return seq

    async def prune_events(self, through: int, limit: int) -> int:
        # No write lock: deleting old events clashes with no writer, and two instances
        # pruning at once delete each row once and only ever raise the mark.
        async with self._pool.acquire() as db, db.transaction():
            cut = await db.fetchval(PRUNE_CUT, through, limit)
            if cut is None:
                return 0
            status = await db.execute("DELETE FROM events WHERE seq <= $1", cut)
            await db.execute(
                "UPDATE event_stream SET pruned_through = $1 WHERE pruned_through < $1", cut
            )
        return int(status.split()[-1])

    # -- writes: one transaction each, with its event

    async def insert_book(self, book: NewBook, now: datetime) -> Book:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute(LOCK, WRITE_LOCK)
            last_version = await db.fetchval(
                "DELETE FROM retired_books WHERE isbn = $1 RETURNING version", book.isbn
            )
            added = added_book(book, (last_version or 0) + 1, now)
            try:
                await db.execute(
                    INSERT_BOOK,
                    added.isbn,
                    added.title,
                    added.published,
                    cents(added.price),
                    added.currency,
                    added.copies,
                    added.version,
                    naive_utc(now),
                )
            except asyncpg.UniqueViolationError:
                raise refusals.duplicate_book(book.isbn) from None
            await _write_lists(db, book.isbn, book.authors, book.tags)
            await _record(db, BOOK_ADDED, now, book_as_dict(added))
        return added

    async def update_book(
        self, isbn: str, changes: dict[str, Any], expected_version: int | None, now: datetime
    ) -> Book:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute(LOCK, WRITE_LOCK)
            row = await db.fetchrow(GET_BOOK, isbn)
            if row is None:
                raise refusals.no_book(isbn)
            current = _book(row)
            refusals.check_version(isbn, current.version, expected_version)
            on_loan = current.copies - current.available
            if changes.get("copies", on_loan) < on_loan:
                raise refusals.copies_below_loans(isbn, on_loan)
            if not changes:
                return current
            # Every writer holds the lock, so writing back every column from the row read
            # above loses no other change; one statement text serves every kind of update.
            updated = changed_book(current, changes, now)
            await db.execute(
                UPDATE_BOOK,
                updated.title,
                updated.published,
                cents(updated.price),
                updated.currency,
                updated.copies,
                updated.version,
                naive_utc(now),
                isbn,
            )
            if "authors" in changes:
                await db.execute("DELETE FROM book_authors WHERE isbn = $1", isbn)
            if "tags" in changes:
                await db.execute("DELETE FROM book_tags WHERE isbn = $1", isbn)
            await _write_lists(db, isbn, changes.get("authors"), changes.get("tags"))
            await _record(db, BOOK_UPDATED, now, book_as_dict(updated))
        return updated

    async def delete_book(self, isbn: str, expected_version: int | None, now: datetime) -> None:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute(LOCK, WRITE_LOCK)
            row = await db.fetchrow("SELECT on_loan, version FROM books WHERE isbn = $1", isbn)
            if row is None:
                raise refusals.no_book(isbn)
            on_loan, version = row
            refusals.check_version(isbn, version, expected_version)
            if on_loan:
                raise refusals.open_loans(isbn, on_loan)
            await db.execute("DELETE FROM book_authors WHERE isbn = $1", isbn)
            await db.execute("DELETE FROM book_tags WHERE isbn = $1", isbn)
            await db.execute("DELETE FROM books WHERE isbn = $1", isbn)
            await db.execute(
                """INSERT INTO retired_books (isbn, version) VALUES ($1, $2)
                 ON CONFLICT (isbn) DO UPDATE SET version = excluded.version""",
                isbn,
                version,
            )
            await _record(db, BOOK_REMOVED, now, {"isbn": isbn})

    async def open_loan(
        self, loan_id: str, isbn: str, member: str, borrowed_at: datetime, due: date
    ) -> Loan:
        loan = Loan(id=loan_id, isbn=isbn, member=member, borrowed_at=stored(borrowed_at), due=due)
        async with self._pool.acquire() as db, db.transaction():
            await db.execute(LOCK, WRITE_LOCK)
            # The condition is the whole race: of two borrows of the last copy, one updates
            # a row.
            if await db.fetchval(TAKE_COPY, naive_utc(borrowed_at), isbn) is None:
                if await db.fetchval("SELECT 1 FROM books WHERE isbn = $1", isbn) is None:
                    raise refusals.no_book(isbn)
                raise refusals.no_copy_free(isbn)
            await db.execute(
                f"INSERT INTO loans ({_LOAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL)",
                loan.id,
                loan.isbn,
                loan.member,
                naive_utc(loan.borrowed_at),
                loan.due,
            )
            await _record(db, LOAN_OPENED, borrowed_at, loan_as_dict(loan))
        return loan

    async def close_loan(self, loan_id: str, now: datetime) -> Loan:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute(LOCK, WRITE_LOCK)
            row = await db.fetchrow(CLOSE_LOAN, naive_utc(now), loan_id)
            if row is None:
                if await db.fetchval("SELECT 1 FROM loans WHERE id = $1", loan_id) is None:
                    raise refusals.no_loan(loan_id)
                raise refusals.already_returned(loan_id)
            loan = _loan(row)
            await db.execute(GIVE_BACK_COPY, naive_utc(now), loan.isbn)
            await _record(db, LOAN_CLOSED, now, loan_as_dict(loan))
        return loan


async def _write_lists(
    db: Transaction,
    isbn: str,
    authors: Sequence[str] | None,
    tags: Sequence[str] | None,
) -> None:
    if authors:
        await db.executemany(
            "INSERT INTO book_authors (isbn, position, name) VALUES ($1, $2, $3)",
            [(isbn, i, name) for i, name in enumerate(authors)],
        )
    if tags:
        await db.executemany(
            "INSERT INTO book_tags (isbn, position, tag) VALUES ($1, $2, $3)",
            [(isbn, i, tag) for i, tag in enumerate(tags)],
        )


async def _record(db: Transaction, event_type: str, at: datetime, data: dict[str, Any]) -> None:
    await db.execute(INSERT_EVENT, event_type, naive_utc(at), json.dumps(data))


def _book(row: Sequence[Any] | asyncpg.Record) -> Book:
    isbn, title, published, price_cents, currency, copies, on_loan, version, updated_at = row[:9]
    return Book(
        isbn=isbn,
        title=title,
        authors=tuple(row[9]),
        published=published,
        price=price_of(price_cents),
        currency=currency,
        tags=tuple(row[10]),
        copies=copies,
        available=copies - on_loan,
        version=version,
        updated_at=updated_at.replace(tzinfo=UTC),
    )


def _loan(row: asyncpg.Record) -> Loan:
    loan_id, isbn, member, borrowed_at, due, returned_at = row
    return Loan(
        id=loan_id,
        isbn=isbn,
        member=member,
        borrowed_at=borrowed_at.replace(tzinfo=UTC),
        due=due,
        returned_at=None if returned_at is None else returned_at.replace(tzinfo=UTC),
    )
