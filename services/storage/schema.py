"""The catalogue's tables, declared once; each storage runs the DDL they compile to.

SQLAlchemy stays for this alone: it writes correct DDL for both SQLite and PostgreSQL from one
declaration, and the load tests read the same tables through it. The queries on the hot path go
to the drivers directly (services/storage/sqlite.py, services/storage/postgres.py).

Dates and times on SQLite are kept as SQLAlchemy stored them (ISO text, naive UTC), so a
catalogue file written by an earlier version opens unchanged.
"""

from __future__ import annotations

import uuid

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
    String,
    Table,
    Text,
)
from sqlalchemy.schema import CreateIndex, CreateTable

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
    Column("updated_at", DateTime, nullable=False),
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
    Column("borrowed_at", DateTime, nullable=False),
    Column("due", Date, nullable=False),
    Column("returned_at", DateTime, nullable=True),
    Index("loans_isbn", "isbn"),
    Index("loans_member", "member"),
)

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("type", String(32), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("data", Text, nullable=False),
    sqlite_autoincrement=True,  # never reuse a seq, even after the newest event is deleted
)

# One row: the event stream's epoch, drawn when the database is created (so every process on it
# shares it, and a database made anew has another), and how far retention has pruned.
event_stream = Table(
    "event_stream",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("epoch", String(32), nullable=False),
    Column("pruned_through", Integer, nullable=False),  # events up to this seq may be gone
)


def new_epoch() -> str:
    return uuid.uuid4().hex


def create_statements(dialect: Dialect) -> list[tuple[str, list[str]]]:
    """(table name, DDL creating it and its indexes) for every table, in the dialect's own
    DDL. A storage runs the DDL of the tables that are missing and leaves the others alone."""
    return [
        (
            table.name,
            [str(CreateTable(table).compile(dialect=dialect))]
            + [
                str(CreateIndex(index).compile(dialect=dialect))
                for index in sorted(table.indexes, key=lambda index: str(index.name))
            ],
        )
        for table in metadata.sorted_tables
    ]
