"""What the database says, read directly beside the running gateway, with the storage's own tables.

Each read is one SQL statement, hence one consistent snapshot even while the gateway writes:
a book's counter of copies on loan is compared with its open loans in the same instant.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, create_engine, func, select

from services.storage.schema import books, events, loans


@dataclass(frozen=True)
class Stock:
    """One book at one instant: copies owned, the counter on loan, and the open loans counted."""

    isbn: str
    copies: int
    on_loan: int
    open_loans: int

    @property
    def available(self) -> int:
        return self.copies - self.on_loan

    def problems(self) -> list[str]:
        found = []
        if self.available < 0:
            found.append(f"{self.isbn}: available {self.available} < 0")
        if self.on_loan != self.open_loans:
            found.append(f"{self.isbn}: {self.on_loan} on loan but {self.open_loans} open loans")
        return found


@dataclass(frozen=True)
class StoredLoan:
    id: str
    isbn: str
    member: str
    returned: bool


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    type: str
    data: dict[str, Any]


class Database:
    """A read-only look at a SQLite catalogue that a gateway is using."""

    def __init__(self, path: Path) -> None:
        # A plain (blocking) engine: the readers here are threads, not an event loop.
        self.engine: Engine = create_engine(f"sqlite:///{path}")

    def close(self) -> None:
        self.engine.dispose()

    def isbns(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(books.c.isbn)).scalars())

    def stock(self, isbns: Iterable[str]) -> list[Stock]:
        open_loans = (
            select(func.count())
            .where(and_(loans.c.isbn == books.c.isbn, loans.c.returned_at.is_(None)))
            .scalar_subquery()
        )
        statement = select(books.c.isbn, books.c.copies, books.c.on_loan, open_loans).where(
            books.c.isbn.in_(list(isbns))
        )
        with self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return [Stock(isbn, copies, on_loan, count) for isbn, copies, on_loan, count in rows]

    def loans(self, isbns: Iterable[str]) -> dict[str, StoredLoan]:
        statement = select(loans).where(loans.c.isbn.in_(list(isbns)))
        with self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return {
            row.id: StoredLoan(row.id, row.isbn, row.member, row.returned_at is not None)
            for row in rows
        }

    def last_seq(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.max(events.c.seq))).scalar() or 0)

    def events_after(self, seq: int) -> list[StoredEvent]:
        statement = select(events).where(events.c.seq > seq).order_by(events.c.seq)
        with self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return [StoredEvent(row.seq, row.type, json.loads(row.data)) for row in rows]
