"""What a fuzzing run has made exist, so that its next calls can name it and succeed.

Random loan ids never name a loan, and random versions rarely match: a fuzzer drawing them
would test the error paths only. A Ledger records the books and loans that successful answers
revealed (their ISBNs, versions, free copies, loan ids) and hands them back as hypothesis
values to draw, beside the values that name nothing. It also counts each operation's successes,
so that a run proves it reached them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.support import book_fields

# The changes of the contract: each must succeed at least once in a fuzzing run.
CHANGES = ("add_book", "update_book", "remove_book", "borrow_book", "return_book")


def seed_calls(isbn: str) -> list[tuple[str, dict[str, Any]]]:
    """The calls a run starts with, before its statistics count: one book with two loans open.

    A return succeeds only on a loan that a borrow opened, on a book that an add made: three
    draws that must each succeed in turn, which left whole runs with no return at all. With
    this book, every change is reachable from the first example; the run's other ISBNs still
    start free, for adds.
    """
    loan = {"isbn": isbn, "member": "fuzz"}
    return [("add_book", book_fields(isbn, copies=4)), ("borrow_book", loan), ("borrow_book", loan)]


def operation_name(name: str) -> str:
    """The contract's name of an operation, from its SOAP name too: BorrowBook -> borrow_book."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass
class Ledger:
    # The few ISBNs the run works on, so that adds, borrows and removes meet. The last is kept
    # for adds and removes: borrows never draw it, since a book with a loan open cannot be
    # removed and, with every book lent, remove_book would never succeed.
    isbns: list[str]
    versions: dict[str, int] = field(default_factory=dict)  # books that exist: isbn -> version
    free: dict[str, int] = field(default_factory=dict)  # isbn -> copies not lent
    open_loans: dict[str, str] = field(default_factory=dict)  # loan id -> isbn
    closed_loans: set[str] = field(default_factory=set)
    successes: Counter[str] = field(default_factory=Counter)

    # What answers reveal.

    def book(self, isbn: str, version: int, available: int) -> None:
        if isbn not in self.isbns:
            return  # a book the run leaves alone (the probe's own, a sample book)
        self.versions[isbn] = version
        self.free[isbn] = available

    def removed(self, isbn: str) -> None:
        self.versions.pop(isbn, None)
        self.free.pop(isbn, None)

    def loan(self, loan_id: str, isbn: str, returned: bool) -> None:
        # Lending or taking back a copy changes the book, so its version moves on by one; a
        # read of the book later tells the exact version again.
        if returned:
            self.closed_loans.add(loan_id)
            if self.open_loans.pop(loan_id, None) is not None and isbn in self.free:
                self.free[isbn] += 1
                self.versions[isbn] += 1
        elif loan_id not in self.open_loans:
            self.open_loans[loan_id] = isbn
            if isbn in self.free:
                self.free[isbn] = max(0, self.free[isbn] - 1)
                self.versions[isbn] += 1

    def succeeded(self, operation: str) -> None:
        self.successes[operation_name(operation)] += 1

    # What the next calls draw from: mostly what exists, now and then what does not. Each
    # draws the same choices whatever the ledger holds, and only maps them onto what it holds:
    # hypothesis replays choices, and refuses a strategy whose choices change between runs.

    def operation(self, draw: st.DrawFn, parameters: Mapping[str, Sequence[str]]) -> str:
        """One of the operations, named with their parameters' names; each change twice as
        often as a read, since a change succeeds only on a state that other calls build.

        Hypothesis does not draw evenly, and a run left to chance once reached no return_book
        in 1,500 examples. So one draw in four aims at a change that has not succeeded yet,
        within what hypothesis allows: it replays choices and refuses a run whose draws change
        shape between replays, so the drawn operation may only give way to one that takes the
        same parameters (return_book for get_loan, remove_book for get_book).
        """
        known = sorted(parameters)
        drawn = draw(st.sampled_from(known + [n for n in known if operation_name(n) in CHANGES]))
        if draw(st.integers(0, 3)) > 0:
            return drawn
        missing = self.missing_successes()
        aimed = [
            name
            for name in known
            if parameters[name] == parameters[drawn] and operation_name(name) in missing
        ]
        return aimed[0] if aimed else drawn

    def isbn(self, draw: st.DrawFn, operation: str) -> str:
        """Mostly an ISBN the operation can succeed on; else any of the run's ISBNs."""
        fitting = draw(st.integers(0, 3)) > 0
        index = draw(st.integers(0, 255))
        name = operation_name(operation)
        pool = self._fitting(name) if fitting else []
        pool = pool or (self.isbns[:-1] if name == "borrow_book" else self.isbns)
        return pool[index % len(pool)]

    def _fitting(self, operation: str) -> list[str]:
        if operation == "add_book":
            return [isbn for isbn in self.isbns if isbn not in self.versions]
        if operation == "borrow_book":
            kept = self.isbns[-1]
            return sorted(isbn for isbn, free in self.free.items() if free and isbn != kept)
        if operation == "remove_book":
            lent = set(self.open_loans.values())
            return sorted(isbn for isbn in self.versions if isbn not in lent)
        return sorted(self.versions)

    def loan_id(self, draw: st.DrawFn) -> str:
        which = draw(st.sampled_from(["open", "open", "closed", "unknown"]))
        index = draw(st.integers(0, 2**16))
        unknown = draw(st.uuids()).hex
        pool = sorted(self.open_loans if which == "open" else self.closed_loans)
        return pool[index % len(pool)] if which != "unknown" and pool else unknown

    def expected_version(self, draw: st.DrawFn, isbn: object) -> int:
        """The book's version as last seen, three times in four: a stale one is a mismatch."""
        latest = draw(st.integers(0, 3)) > 0
        guess = draw(st.integers(1, 10))
        if latest and isinstance(isbn, str) and isbn in self.versions:
            return self.versions[isbn]
        return guess

    def missing_successes(self) -> list[str]:
        return [change for change in CHANGES if not self.successes[change]]
