"""Storage on SQLite through the stdlib sqlite3 driver: point reads on the event loop, the rest
on threads.

Why the bare driver: an indexed point read costs SQLite a few microseconds, while aiosqlite sends
every statement to a thread and back and SQLAlchemy adds its compiling and result layers on top,
together tens of times the read itself. So each point read here is one statement, run on the
loop: it blocks the loop no longer than the read takes. Reads that scan (a page of books and
its total, a list of loans) take one thread hop, to a reader thread of their own. Writes wait
on the disk (the fsync at commit), so they run on one writer thread with a connection of its
own: one thread hop per transaction.

sqlite3 keeps each connection's prepared statements in a cache keyed by the SQL text, and every
statement here is constant text, so each is prepared once per connection.

WAL lets readers go on while the writer writes; the busy timeout makes writers of other worker
processes queue instead of failing; writes begin with `BEGIN IMMEDIATE`, since a deferred
transaction that reads first and writes later can fail at once with "database is locked".
Writers are therefore serialised by SQLite itself, across processes, which also commits events
in the order of their seq.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.dialects import sqlite as sqlite_dialect

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
from services.storage.outages import is_sqlite_outage, translating
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

BUSY_TIMEOUT_MS = 10_000

T = TypeVar("T")

# Authors and tags come with the book row in the same statement, in their stored order, each
# list joined by the unit separator U+001F: validation refuses control characters in text, and
# splitting a string costs a fraction of decoding JSON. SQLite 3.40 has no ORDER BY inside an
# aggregate; it aggregates an ordered subquery in order.
SEPARATOR = "\x1f"
_BOOK_COLUMNS = """b.isbn, b.title, b.published, b.price_cents, b.currency, b.copies, b.on_loan,
 b.version, b.updated_at,
 (SELECT group_concat(name, char(31)) FROM
   (SELECT name FROM book_authors WHERE isbn = b.isbn ORDER BY position)),
 (SELECT group_concat(tag, char(31)) FROM
   (SELECT tag FROM book_tags WHERE isbn = b.isbn ORDER BY position))"""
GET_BOOK = f"SELECT {_BOOK_COLUMNS} FROM books b WHERE b.isbn = ?"

_AUTHOR_LIKE = (
    "EXISTS (SELECT 1 FROM book_authors a WHERE a.isbn = b.isbn"
    " AND lower(a.name) LIKE lower(:{name}) ESCAPE '/')"
)
_BOOK_FILTERS = {
    "q": f"(lower(b.title) LIKE lower(:q) ESCAPE '/' OR {_AUTHOR_LIKE.format(name='q')})",
    "author": _AUTHOR_LIKE.format(name="author"),
    "tag": "EXISTS (SELECT 1 FROM book_tags t WHERE t.isbn = b.isbn AND lower(t.tag) = :tag)",
}


@functools.cache
def list_books_sql(filters: tuple[str, ...]) -> str:
    """One statement for a page and its total, so both come from the same snapshot.

    The page picks isbns first and joins the books after, so authors and tags are gathered
    for the page's rows only; the outer join keeps the total when the page is empty.
    """
    where = " AND ".join(_BOOK_FILTERS[name] for name in filters) or "1"
    return f"""WITH page AS (
  SELECT b.isbn, b.title FROM books b WHERE {where}
  ORDER BY b.title, b.isbn LIMIT :limit OFFSET :offset)
SELECT (SELECT count(*) FROM books b WHERE {where}), {_BOOK_COLUMNS}
FROM (SELECT 1) LEFT JOIN page ON 1 LEFT JOIN books b ON b.isbn = page.isbn
ORDER BY page.title, page.isbn"""


@functools.cache
def list_loans_sql(filters: tuple[str, ...]) -> str:
    where = " AND ".join(filters) or "1"
    return f"SELECT {_LOAN_COLUMNS} FROM loans WHERE {where} ORDER BY borrowed_at, id"


_LOAN_COLUMNS = "id, isbn, member, borrowed_at, due, returned_at"
GET_LOAN = f"SELECT {_LOAN_COLUMNS} FROM loans WHERE id = ?"
EVENTS_AFTER = "SELECT seq, type, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
INSERT_BOOK = """INSERT INTO books
 (isbn, title, published, price_cents, currency, copies, on_loan, version, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)"""
UPDATE_BOOK = """UPDATE books SET title = ?, published = ?, price_cents = ?, currency = ?,
 copies = ?, version = ?, updated_at = ? WHERE isbn = ?"""
TAKE_COPY = """UPDATE books SET on_loan = on_loan + 1, version = version + 1, updated_at = ?
 WHERE isbn = ? AND on_loan < copies"""
GIVE_BACK_COPY = """UPDATE books SET on_loan = on_loan - 1, version = version + 1, updated_at = ?
 WHERE isbn = ?"""
INSERT_EVENT = "INSERT INTO events (type, at, data) VALUES (?, ?, ?)"
ADD_EVENT_STREAM = """INSERT INTO event_stream (id, epoch, pruned_through) VALUES (1, ?, 0)
 ON CONFLICT (id) DO NOTHING"""
# The seq of the last event of the next batch to prune: the `limit`-th oldest up to a bound.
PRUNE_CUT = "SELECT max(seq) FROM (SELECT seq FROM events WHERE seq <= ? ORDER BY seq LIMIT ?)"


@translating(is_sqlite_outage)
class SqliteStorage:
    """The Storage port on one SQLite file."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            path = str(Path(path).expanduser())
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level=None): each read is a snapshot of its own, and writes
        # say BEGIN IMMEDIATE themselves rather than letting the driver begin deferred.
        self._reader = _connect(path)
        self._writer = _connect(path)
        self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        # Reads whose cost grows with the catalogue (a page and its total, a list of loans)
        # run on a thread of their own, so that no read holds the loop longer than a point
        # query does; a thread hop costs less than such a read.
        self._scanner = _connect(path)
        self._scans = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-scanner")

    async def create_schema(self) -> None:
        """WAL mode, then every table that is missing."""
        await self._in_writer(self._create_schema)

    async def follow_commits(self, wake: Callable[[], None]) -> None:
        """Nothing to follow: SQLite cannot signal another process's commit, so the event hub
        reads those by polling."""

    async def ping(self) -> None:
        """Raises Unavailable unless the file answers a query (it may be gone or unreadable)."""
        self._reader.execute("SELECT count(*) FROM sqlite_master").fetchone()

    async def close(self) -> None:
        await self._in_writer(self._writer.close)
        self._writes.shutdown()
        await asyncio.get_running_loop().run_in_executor(self._scans, self._scanner.close)
        self._scans.shutdown()
        self._reader.close()

    # -- reads, on the loop: each is one statement on an index

    async def get_book(self, isbn: str) -> Book | None:
        row = self._reader.execute(GET_BOOK, (isbn,)).fetchone()
        return None if row is None else _book(row)

    async def list_books(self, query: BookQuery) -> Page:
        params: dict[str, object] = {"limit": query.limit, "offset": query.offset}
        if query.q:
            params["q"] = containing(query.q)
        if query.author:
            params["author"] = containing(query.author)
        if query.tag:
            params["tag"] = query.tag.lower()
        filters = tuple(name for name in _BOOK_FILTERS if name in params)
        rows = await self._scan(list_books_sql(filters), params)
        items = tuple(_book(row[1:]) for row in rows if row[1] is not None)
        return Page(items=items, total=rows[0][0], limit=query.limit, offset=query.offset)

    async def get_loan(self, loan_id: str) -> Loan | None:
        row = self._reader.execute(GET_LOAN, (loan_id,)).fetchone()
        return None if row is None else _loan(row)

    async def list_loans(self, query: LoanQuery) -> list[Loan]:
        filters: list[str] = []
        params: list[object] = []
        if query.member is not None:
            filters.append("member = ?")
            params.append(query.member)
        if query.isbn is not None:
            filters.append("isbn = ?")
            params.append(query.isbn)
        if query.open_only:
            filters.append("returned_at IS NULL")
        rows = await self._scan(list_loans_sql(tuple(filters)), params)
        return [_loan(row) for row in rows]

    async def count_books(self) -> int:
        count: int = self._reader.execute("SELECT count(*) FROM books").fetchone()[0]
        return count

    async def last_event_seq(self) -> int:
        seq: int | None = self._reader.execute("SELECT max(seq) FROM events").fetchone()[0]
        return seq or 0

    async def events_after(self, seq: int, limit: int) -> list[Event]:
        rows = self._reader.execute(EVENTS_AFTER, (seq, limit)).fetchall()
        return [Event(s, kind, _moment(at), json.loads(data)) for s, kind, at, data in rows]

    async def event_epoch(self) -> str:
        epoch: str = self._reader.execute("SELECT epoch FROM event_stream").fetchone()[0]
        return epoch

    async def pruned_through(self) -> int:
        seq: int = self._reader.execute("SELECT pruned_through FROM event_stream").fetchone()[0]
        return seq

    async def prune_events(self, through: int, limit: int) -> int:
        # On the writer thread, as a write: the deletes wait on the disk like any commit.
        return await self._transaction(_prune_events, through, limit)

    # -- writes, on the writer thread: each is one transaction with its event

    async def insert_book(self, book: NewBook, now: datetime) -> Book:
        return await self._transaction(_insert_book, book, now)

    async def update_book(
        self, isbn: str, changes: dict[str, Any], expected_version: int | None, now: datetime
    ) -> Book:
        return await self._transaction(_update_book, isbn, changes, expected_version, now)

    async def delete_book(self, isbn: str, expected_version: int | None, now: datetime) -> None:
        await self._transaction(_delete_book, isbn, expected_version, now)

    async def open_loan(
        self, loan_id: str, isbn: str, member: str, borrowed_at: datetime, due: date
    ) -> Loan:
        loan = Loan(id=loan_id, isbn=isbn, member=member, borrowed_at=stored(borrowed_at), due=due)
        return await self._transaction(_open_loan, loan)

    async def close_loan(self, loan_id: str, now: datetime) -> Loan:
        return await self._transaction(_close_loan, loan_id, now)

    async def _scan(self, sql: str, params: Sequence[object] | dict[str, object]) -> list[Any]:
        def rows() -> list[Any]:
            return self._scanner.execute(sql, params).fetchall()

        return await asyncio.get_running_loop().run_in_executor(self._scans, rows)

    async def _transaction(self, work: Callable[..., T], *args: Any) -> T:
        return await self._in_writer(functools.partial(_in_transaction, self._writer, work, *args))

    async def _in_writer(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writes, work)

    def _create_schema(self) -> None:
        self._writer.execute("PRAGMA journal_mode=WAL")
        _in_transaction(self._writer, _create_tables)


def _connect(path: str) -> sqlite3.Connection:
    # check_same_thread=False: the writer connection is made here and used on its own thread.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def _in_transaction(db: sqlite3.Connection, work: Callable[..., T], *args: Any) -> T:
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db, *args)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result


def _create_tables(db: sqlite3.Connection) -> None:
    for table, statements in create_statements(sqlite_dialect.dialect()):
        found = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        if db.execute(found, (table,)).fetchone() is None:
            for statement in statements:
                db.execute(statement)
    db.execute(ADD_EVENT_STREAM, (new_epoch(),))


def _prune_events(db: sqlite3.Connection, through: int, limit: int) -> int:
    (cut,) = db.execute(PRUNE_CUT, (through, limit)).fetchone()
    if cut is None:
        return 0
    deleted = db.execute("DELETE FROM events WHERE seq <= ?", (cut,)).rowcount
    db.execute("UPDATE event_stream SET pruned_through = ? WHERE pruned_through < ?", (cut, cut))
    return deleted


def _insert_book(db: sqlite3.Connection, book: NewBook, now: datetime) -> Book:
    retired = db.execute("SELECT version FROM retired_books WHERE isbn = ?", (book.isbn,))
    (last_version,) = retired.fetchone() or (0,)
    added = added_book(book, last_version + 1, now)
    try:
        db.execute(
            INSERT_BOOK,
            (
                added.isbn,
                added.title,
                added.published.isoformat(),
                cents(added.price),
                added.currency,
                added.copies,
                added.version,
                _text(now),
            ),
        )
    except sqlite3.IntegrityError:
        raise refusals.duplicate_book(book.isbn) from None
    db.execute("DELETE FROM retired_books WHERE isbn = ?", (book.isbn,))
    _write_lists(db, book.isbn, book.authors, book.tags)
    _record(db, BOOK_ADDED, now, book_as_dict(added))
    return added


def _update_book(
    db: sqlite3.Connection,
    isbn: str,
    changes: dict[str, Any],
    expected_version: int | None,
    now: datetime,
) -> Book:
    row = db.execute(GET_BOOK, (isbn,)).fetchone()
    if row is None:
        raise refusals.no_book(isbn)
    current = _book(row)
    refusals.check_version(isbn, current.version, expected_version)
    on_loan = current.copies - current.available
    if changes.get("copies", on_loan) < on_loan:
        raise refusals.copies_below_loans(isbn, on_loan)
    if not changes:
        return current
    # The row was read inside this writer's transaction, so writing every column back from
    # it loses no other change; one statement text serves every kind of update.
    updated = changed_book(current, changes, now)
    db.execute(
        UPDATE_BOOK,
        (
            updated.title,
            updated.published.isoformat(),
            cents(updated.price),
            updated.currency,
            updated.copies,
            updated.version,
            _text(now),
            isbn,
        ),
    )
    if "authors" in changes:
        db.execute("DELETE FROM book_authors WHERE isbn = ?", (isbn,))
    if "tags" in changes:
        db.execute("DELETE FROM book_tags WHERE isbn = ?", (isbn,))
    _write_lists(db, isbn, changes.get("authors"), changes.get("tags"))
    _record(db, BOOK_UPDATED, now, book_as_dict(updated))
    return updated


def _delete_book(
    db: sqlite3.Connection, isbn: str, expected_version: int | None, now: datetime
) -> None:
    row = db.execute("SELECT on_loan, version FROM books WHERE isbn = ?", (isbn,)).fetchone()
    if row is None:
        raise refusals.no_book(isbn)
    on_loan, version = row
    refusals.check_version(isbn, version, expected_version)
    if on_loan:
        raise refusals.open_loans(isbn, on_loan)
    db.execute("DELETE FROM book_authors WHERE isbn = ?", (isbn,))
    db.execute("DELETE FROM book_tags WHERE isbn = ?", (isbn,))
    db.execute("DELETE FROM books WHERE isbn = ?", (isbn,))
    db.execute("DELETE FROM retired_books WHERE isbn = ?", (isbn,))
    db.execute("INSERT INTO retired_books (isbn, version) VALUES (?, ?)", (isbn, version))
    _record(db, BOOK_REMOVED, now, {"isbn": isbn})


def _open_loan(db: sqlite3.Connection, loan: Loan) -> Loan:
    # The condition is the whole race: of two borrows of the last copy, one updates a row.
    taken = db.execute(TAKE_COPY, (_text(loan.borrowed_at), loan.isbn))
    if taken.rowcount == 0:
        if db.execute("SELECT 1 FROM books WHERE isbn = ?", (loan.isbn,)).fetchone() is None:
            raise refusals.no_book(loan.isbn)
        raise refusals.no_copy_free(loan.isbn)
    db.execute(
        f"INSERT INTO loans ({_LOAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)",
        (loan.id, loan.isbn, loan.member, _text(loan.borrowed_at), loan.due.isoformat()),
    )
    _record(db, LOAN_OPENED, loan.borrowed_at, loan_as_dict(loan))
    return loan


def _close_loan(db: sqlite3.Connection, loan_id: str, now: datetime) -> Loan:
    closed = db.execute(
        "UPDATE loans SET returned_at = ? WHERE id = ? AND returned_at IS NULL",
        (_text(now), loan_id),
    )
    row = db.execute(GET_LOAN, (loan_id,)).fetchone()
    if row is None:
        raise refusals.no_loan(loan_id)
    if closed.rowcount == 0:
        raise refusals.already_returned(loan_id)
    loan = _loan(row)
    db.execute(GIVE_BACK_COPY, (_text(now), loan.isbn))
    _record(db, LOAN_CLOSED, now, loan_as_dict(loan))
    return loan


def _write_lists(
    db: sqlite3.Connection,
    isbn: str,
    authors: Sequence[str] | None,
    tags: Sequence[str] | None,
) -> None:
    if authors:
        db.executemany(
            "INSERT INTO book_authors (isbn, position, name) VALUES (?, ?, ?)",
            [(isbn, i, name) for i, name in enumerate(authors)],
        )
    if tags:
        db.executemany(
            "INSERT INTO book_tags (isbn, position, tag) VALUES (?, ?, ?)",
            [(isbn, i, tag) for i, tag in enumerate(tags)],
        )


def _record(db: sqlite3.Connection, event_type: str, at: datetime, data: dict[str, Any]) -> None:
    db.execute(INSERT_EVENT, (event_type, _text(at), json.dumps(data)))


# Books are immutable values and a row holds every field of one, so a row read again unchanged
# (same version, same text) maps to the Book already built from it. Decoding (a Decimal, a
# date, a datetime, the frozen dataclass) costs more than the point read itself; the row is
# still read every time, so a change made by any process is seen at once.
DECODED_BOOKS = 4096


@functools.lru_cache(maxsize=DECODED_BOOKS)
def _book(row: tuple[Any, ...]) -> Book:
    isbn, title, published, price_cents, currency, copies, on_loan, version, updated_at = row[:9]
    return Book(
        isbn=isbn,
        title=title,
        authors=_listed(row[9]),
        published=date.fromisoformat(published),
        price=price_of(price_cents),
        currency=currency,
        tags=_listed(row[10]),
        copies=copies,
        available=copies - on_loan,
        version=version,
        updated_at=_moment(updated_at),
    )


def _listed(joined: str | None) -> tuple[str, ...]:
    return () if joined is None else tuple(joined.split(SEPARATOR))


def _loan(row: Sequence[Any]) -> Loan:
    loan_id, isbn, member, borrowed_at, due, returned_at = row
    return Loan(
        id=loan_id,
        isbn=isbn,
        member=member,
        borrowed_at=_moment(borrowed_at),
        due=date.fromisoformat(due),
        returned_at=None if returned_at is None else _moment(returned_at),
    )


def _text(moment: datetime) -> str:
    """The form SQLAlchemy gave datetimes on SQLite, so files from earlier versions still read."""
    return naive_utc(moment).isoformat(sep=" ", timespec="microseconds")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
