"""Storage on SQLAlchemy Core: SQLite (aiosqlite) or PostgreSQL (asyncpg), one transaction each."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    TypeDecorator,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.errors import Conflict, NotFound, VersionMismatch
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
from services.storage.database import Engines


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite keeps no zone) and always hands back an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

books = Table(
    "books",
    metadata,
    Column("isbn", String(13), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("published", Date, nullable=False),
    # Cents in an integer: SQLite has no exact decimal type.
    Column("price_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("copies", Integer, nullable=False),
    Column("on_loan", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

book_authors = Table(
    "book_authors",
    metadata,
    Column("isbn", String(13), ForeignKey("books.isbn", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
)

book_tags = Table(
    "book_tags",
    metadata,
    Column("isbn", String(13), ForeignKey("books.isbn", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("tag", String(50), nullable=False),
)

# The last version of each removed book: one added again continues from it, so an ETag a
# client kept for the old book can never match the new one.
retired_books = Table(
    "retired_books",
    metadata,
    Column("isbn", String(13), primary_key=True),
    Column("version", Integer, nullable=False),
)

# Loans keep no foreign key: the history of a removed book's returned loans stays readable.
loans = Table(
    "loans",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("isbn", String(13), nullable=False),
    Column("member", String(100), nullable=False),
    Column("borrowed_at", UTCDateTime, nullable=False),
    Column("due", Date, nullable=False),
    Column("returned_at", UTCDateTime, nullable=True),
    Index("loans_isbn", "isbn"),
    Index("loans_member", "member"),
)

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("type", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("data", Text, nullable=False),
    sqlite_autoincrement=True,  # never reuse a seq, even after the newest event is deleted
)

# One lock id for every writer on PostgreSQL, so events commit in the order of their seq.
_PG_WRITE_LOCK = 727_001


class SqlStorage:
    def __init__(self, engines: Engines) -> None:
        self._engines = engines

    async def create_schema(self) -> None:
        async with self._engines.writer.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def close(self) -> None:
        await self._engines.dispose()

    # -- reads

    async def list_books(self, query: BookQuery) -> Page:
        conditions = []
        if query.q:
            conditions.append(
                or_(
                    books.c.title.icontains(query.q, autoescape=True),
                    _author_matches(query.q),
                )
            )
        if query.author:
            conditions.append(_author_matches(query.author))
        if query.tag:
            conditions.append(
                exists().where(
                    book_tags.c.isbn == books.c.isbn,
                    func.lower(book_tags.c.tag) == query.tag.lower(),
                )
            )
        async with self._engines.reader.connect() as conn:
            total = await conn.scalar(select(func.count()).select_from(books).where(*conditions))
            rows = (
                await conn.execute(
                    select(books)
                    .where(*conditions)
                    .order_by(books.c.title, books.c.isbn)
                    .limit(query.limit)
                    .offset(query.offset)
                )
            ).all()
            items = await _assemble_books(conn, rows)
        return Page(items=tuple(items), total=total or 0, limit=query.limit, offset=query.offset)

    async def get_book(self, isbn: str) -> Book | None:
        async with self._engines.reader.connect() as conn:
            return await _load_book(conn, isbn)

    async def get_loan(self, loan_id: str) -> Loan | None:
        async with self._engines.reader.connect() as conn:
            row = (await conn.execute(select(loans).where(loans.c.id == loan_id))).first()
        return None if row is None else _loan(row)

    async def list_loans(self, query: LoanQuery) -> list[Loan]:
        statement = select(loans).order_by(loans.c.borrowed_at, loans.c.id)
        if query.member is not None:
            statement = statement.where(loans.c.member == query.member)
        if query.isbn is not None:
            statement = statement.where(loans.c.isbn == query.isbn)
        if query.open_only:
            statement = statement.where(loans.c.returned_at.is_(None))
        async with self._engines.reader.connect() as conn:
            return [_loan(row) for row in (await conn.execute(statement)).all()]

    async def count_books(self) -> int:
        async with self._engines.reader.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(books)) or 0

    async def last_event_seq(self) -> int:
        async with self._engines.reader.connect() as conn:
            return await conn.scalar(select(func.max(events.c.seq))) or 0

    async def events_after(self, seq: int, limit: int) -> list[Event]:
        async with self._engines.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(events).where(events.c.seq > seq).order_by(events.c.seq).limit(limit)
                )
            ).all()
        return [Event(row.seq, row.type, row.at, json.loads(row.data)) for row in rows]

    # -- writes

    async def insert_book(self, book: NewBook, now: datetime) -> Book:
        async with self._write() as conn:
            retired = await conn.scalar(
                select(retired_books.c.version).where(retired_books.c.isbn == book.isbn)
            )
            try:
                await conn.execute(
                    insert(books).values(
                        isbn=book.isbn,
                        title=book.title,
                        published=book.published,
                        price_cents=_cents(book.price),
                        currency=book.currency,
                        copies=book.copies,
                        on_loan=0,
                        version=(retired or 0) + 1,
                        updated_at=now,
                    )
                )
            except IntegrityError:
                raise Conflict(
                    f"a book with isbn {book.isbn} exists already", isbn=book.isbn
                ) from None
            if retired is not None:
                await conn.execute(delete(retired_books).where(retired_books.c.isbn == book.isbn))
            await _write_lists(conn, book.isbn, book.authors, book.tags)
            added = await _load_book(conn, book.isbn)
            assert added is not None
            await _record(conn, BOOK_ADDED, now, book_as_dict(added))
        return added

    async def update_book(
        self, isbn: str, changes: dict[str, Any], expected_version: int | None, now: datetime
    ) -> Book:
        async with self._write() as conn:
            row = (
                await conn.execute(select(books).where(books.c.isbn == isbn).with_for_update())
            ).first()
            if row is None:
                raise NotFound(f"no book with isbn {isbn}", isbn=isbn)
            _check_version(isbn, row.version, expected_version)
            copies = changes.get("copies")
            if copies is not None and copies < row.on_loan:
                raise Conflict(
                    f"book {isbn} has {row.on_loan} copies on loan; copies cannot go below that",
                    isbn=isbn,
                )
            if not changes:
                current = await _load_book(conn, isbn)
                assert current is not None
                return current
            values: dict[str, Any] = {
                name: value for name, value in changes.items() if name in books.c
            }
            if "price" in changes:
                values["price_cents"] = _cents(changes["price"])
            await conn.execute(
                update(books)
                .where(books.c.isbn == isbn)
                .values(**values, version=books.c.version + 1, updated_at=now)
            )
            await _write_lists(
                conn, isbn, changes.get("authors"), changes.get("tags"), replace=True
            )
            updated = await _load_book(conn, isbn)
            assert updated is not None
            await _record(conn, BOOK_UPDATED, now, book_as_dict(updated))
        return updated

    async def delete_book(self, isbn: str, expected_version: int | None, now: datetime) -> None:
        async with self._write() as conn:
            row = (
                await conn.execute(
                    select(books.c.on_loan, books.c.version)
                    .where(books.c.isbn == isbn)
                    .with_for_update()
                )
            ).first()
            if row is None:
                raise NotFound(f"no book with isbn {isbn}", isbn=isbn)
            _check_version(isbn, row.version, expected_version)
            if row.on_loan:
                raise Conflict(f"book {isbn} has {row.on_loan} open loans", isbn=isbn)
            await conn.execute(delete(book_authors).where(book_authors.c.isbn == isbn))
            await conn.execute(delete(book_tags).where(book_tags.c.isbn == isbn))
            await conn.execute(delete(books).where(books.c.isbn == isbn))
            await conn.execute(delete(retired_books).where(retired_books.c.isbn == isbn))
            await conn.execute(insert(retired_books).values(isbn=isbn, version=row.version))
            await _record(conn, BOOK_REMOVED, now, {"isbn": isbn})

    async def open_loan(
        self, loan_id: str, isbn: str, member: str, borrowed_at: datetime, due: date
    ) -> Loan:
        async with self._write() as conn:
            # The condition is the whole race: of two borrows of the last copy, one updates a row.
            taken = await conn.execute(
                update(books)
                .where(books.c.isbn == isbn, books.c.on_loan < books.c.copies)
                .values(
                    on_loan=books.c.on_loan + 1,
                    version=books.c.version + 1,
                    updated_at=borrowed_at,
                )
            )
            if taken.rowcount == 0:
                known = await conn.scalar(select(books.c.isbn).where(books.c.isbn == isbn))
                if known is None:
                    raise NotFound(f"no book with isbn {isbn}", isbn=isbn)
                raise Conflict(f"no copy of {isbn} is free", isbn=isbn)
            loan = Loan(id=loan_id, isbn=isbn, member=member, borrowed_at=borrowed_at, due=due)
            await conn.execute(
                insert(loans).values(
                    id=loan.id,
                    isbn=loan.isbn,
                    member=loan.member,
                    borrowed_at=loan.borrowed_at,
                    due=loan.due,
                    returned_at=None,
                )
            )
            await _record(conn, LOAN_OPENED, borrowed_at, loan_as_dict(loan))
        return loan

    async def close_loan(self, loan_id: str, now: datetime) -> Loan:
        async with self._write() as conn:
            closed = await conn.execute(
                update(loans)
                .where(loans.c.id == loan_id, loans.c.returned_at.is_(None))
                .values(returned_at=now)
            )
            row = (await conn.execute(select(loans).where(loans.c.id == loan_id))).first()
            if row is None:
                raise NotFound(f"no loan with id {loan_id}", loan_id=loan_id)
            if closed.rowcount == 0:
                raise Conflict(f"loan {loan_id} was returned already", loan_id=loan_id)
            await conn.execute(
                update(books)
                .where(books.c.isbn == row.isbn)
                .values(on_loan=books.c.on_loan - 1, version=books.c.version + 1, updated_at=now)
            )
            loan = _loan(row)
            await _record(conn, LOAN_CLOSED, now, loan_as_dict(loan))
        return loan

    def _write(self) -> _WriteTransaction:
        return _WriteTransaction(self._engines)


class _WriteTransaction:
    """`async with`: a write transaction, serialised with other writers on PostgreSQL."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines
        self._context: Any = None

    async def __aenter__(self) -> AsyncConnection:
        self._context = self._engines.writer.begin()
        conn: AsyncConnection = await self._context.__aenter__()
        if self._engines.is_postgresql:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_WRITE_LOCK})
        return conn

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._context.__aexit__(*exc_info)


def _check_version(isbn: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise VersionMismatch(
            f"book {isbn} is at version {current}, not {expected}",
            isbn=isbn,
            current_version=current,
        )


def _author_matches(needle: str) -> Any:
    return exists().where(
        book_authors.c.isbn == books.c.isbn,
        book_authors.c.name.icontains(needle, autoescape=True),
    )


def _cents(price: Decimal) -> int:
    return int(price * 100)


async def _record(
    conn: AsyncConnection, event_type: str, at: datetime, data: dict[str, Any]
) -> None:
    await conn.execute(insert(events).values(type=event_type, at=at, data=json.dumps(data)))


async def _write_lists(
    conn: AsyncConnection,
    isbn: str,
    authors: Sequence[str] | None,
    tags: Sequence[str] | None,
    replace: bool = False,
) -> None:
    if authors is not None:
        if replace:
            await conn.execute(delete(book_authors).where(book_authors.c.isbn == isbn))
        await conn.execute(
            insert(book_authors),
            [{"isbn": isbn, "position": i, "name": name} for i, name in enumerate(authors)],
        )
    if tags is not None:
        if replace:
            await conn.execute(delete(book_tags).where(book_tags.c.isbn == isbn))
        if tags:
            await conn.execute(
                insert(book_tags),
                [{"isbn": isbn, "position": i, "tag": tag} for i, tag in enumerate(tags)],
            )


async def _load_book(conn: AsyncConnection, isbn: str) -> Book | None:
    row = (await conn.execute(select(books).where(books.c.isbn == isbn))).first()
    if row is None:
        return None
    (book,) = await _assemble_books(conn, [row])
    return book


async def _assemble_books(conn: AsyncConnection, rows: Iterable[Row[Any]]) -> list[Book]:
    """Books with their authors and tags: three queries for a whole page, not one per book."""
    rows = list(rows)
    if not rows:
        return []
    isbns = [row.isbn for row in rows]
    authors: dict[str, list[str]] = {isbn: [] for isbn in isbns}
    tags: dict[str, list[str]] = {isbn: [] for isbn in isbns}
    for a in await conn.execute(
        select(book_authors).where(book_authors.c.isbn.in_(isbns)).order_by(book_authors.c.position)
    ):
        authors[a.isbn].append(a.name)
    for t in await conn.execute(
        select(book_tags).where(book_tags.c.isbn.in_(isbns)).order_by(book_tags.c.position)
    ):
        tags[t.isbn].append(t.tag)
    return [
        Book(
            isbn=row.isbn,
            title=row.title,
            authors=tuple(authors[row.isbn]),
            published=row.published,
            price=Decimal(row.price_cents).scaleb(-2),
            currency=row.currency,
            tags=tuple(tags[row.isbn]),
            copies=row.copies,
            available=row.copies - row.on_loan,
            version=row.version,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def _loan(row: Row[Any]) -> Loan:
    return Loan(
        id=row.id,
        isbn=row.isbn,
        member=row.member,
        borrowed_at=row.borrowed_at,
        due=row.due,
        returned_at=row.returned_at,
    )
