"""kill -9 during writes, then a restart on the same database: every acknowledged write is there.

`rosetta serve` runs as a user runs it, in a process of its own; clients of all three protocols
add, borrow, change and return as fast as they can; once enough writes are acknowledged the
whole process group gets SIGKILL, so no shutdown code runs. The first round kills one process,
the second two worker processes. Writes in flight at the kill may or may not have happened;
either way no book may be left half-changed.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clients.interface import LibraryClient
from clients.rest import RestClient
from clients.soap import SoapClient
from clients.ws import WsClient
from tests.load import server
from tests.load.audit import Database
from tests.support import book_fields

CLIENTS: dict[str, Callable[[str], LibraryClient]] = {
    "rest": RestClient,
    "soap": SoapClient,
    "websocket": WsClient,
}
ROUNDS = [["--no-seed"], ["--no-seed", "--workers", "2"]]
WRITES_BEFORE_KILL = 60  # acknowledged writes per round: the kill waits for a count, not a clock
BOUND = 60.0  # seconds a round may take to reach that count before the test fails


@dataclass
class Acknowledged:
    """Writes whose answers arrived, so the caller was told they happened."""

    books: dict[str, tuple[int, str]] = field(default_factory=dict)  # isbn: (version, title)
    opened: dict[str, str] = field(default_factory=dict)  # loan id: isbn
    returned: set[str] = field(default_factory=set)
    count: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def book(self, isbn: str, version: int, title: str) -> None:
        with self.lock:
            self.books[isbn] = (version, title)
            self.count += 1

    def loan(self, loan_id: str, isbn: str, returned: bool = False) -> None:
        with self.lock:
            self.opened[loan_id] = isbn
            if returned:
                self.returned.add(loan_id)
            self.count += 1


def write(protocol: str, url: str, done: Acknowledged, killed: threading.Event) -> None:
    """Adds a book, borrows it twice, renames it, returns one loan; again, until the kill."""
    try:
        client = CLIENTS[protocol](url)
    except Exception as error:
        done.problems.append(f"{protocol} could not connect: {error}")
        return
    try:
        for round_trip in range(10_000):
            book = client.add_book(**book_fields(copies=2))
            done.book(book.isbn, book.version, book.title)
            kept = client.borrow_book(book.isbn, f"{protocol}-kept")
            done.loan(kept.id, book.isbn)
            loan = client.borrow_book(book.isbn, protocol)
            done.loan(loan.id, book.isbn)
            title = f"{protocol} {round_trip}"
            changed = client.update_book(book.isbn, title=title)
            done.book(book.isbn, changed.version, changed.title)
            client.return_book(loan.id)
            done.loan(loan.id, book.isbn, returned=True)
    except Exception as error:
        if not killed.is_set():  # after the kill, a broken connection is the point
            done.problems.append(f"{protocol}: {type(error).__name__}: {error}")
    finally:
        # The connection may already be dead; closing it must not hide what happened.
        try:
            client.close()
        except Exception as error:
            if not killed.is_set():
                done.problems.append(f"{protocol} close: {error}")


def crash_round(url: str, proc: server.Server, done: Acknowledged) -> None:
    killed = threading.Event()
    target = done.count + WRITES_BEFORE_KILL
    writers = [
        threading.Thread(target=write, args=(protocol, url, done, killed)) for protocol in CLIENTS
    ]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + BOUND
    while done.count < target and not done.problems and time.monotonic() < deadline:
        time.sleep(0.01)
    killed.set()
    proc.kill()
    for writer in writers:
        writer.join(timeout=BOUND)
    assert not done.problems, done.problems
    assert done.count >= target, f"only {done.count} writes acknowledged in {BOUND} s"


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    port = server.free_port()  # the restart takes the same port, as a supervisor would
    done = Acknowledged()
    with tempfile.TemporaryFile() as errors:
        for arguments in ROUNDS:
            crashing = server.start(db, port, errors, arguments)
            try:
                crash_round(crashing.url, crashing, done)
            finally:
                crashing.stop()  # killed already, unless the round failed before the kill
        restarted = server.start(db, port, errors, ["--no-seed"])
        try:
            check_everything_acknowledged_is_there(restarted.url, db, done)
        finally:
            restarted.stop()


def check_everything_acknowledged_is_there(url: str, db: Path, done: Acknowledged) -> None:
    database = Database(db)
    client = RestClient(url)
    try:
        for isbn, (version, title) in done.books.items():
            book = client.get_book(isbn)
            # One more change may have landed unacknowledged, never one fewer.
            assert book.version >= version, (isbn, book.version, version)
            if book.version == version:
                assert book.title == title
        stored = database.loans(done.books)
        for loan_id, isbn in done.opened.items():
            assert loan_id in stored, f"acknowledged loan {loan_id} is gone"
            assert stored[loan_id].isbn == isbn
            if loan_id in done.returned:
                assert stored[loan_id].returned, f"acknowledged return of {loan_id} is gone"
        # Nothing half-done, acknowledged or not: every counter matches its loans.
        for stock in database.stock(database.isbns()):
            assert not stock.problems(), stock.problems()
            assert client.get_book(stock.isbn).available == stock.available
        # Each acknowledged change has its event, written in the same transaction.
        recorded = database.events_after(0)
        opened = {e.data["id"] for e in recorded if e.type == "loan.opened"}
        closed = {e.data["id"] for e in recorded if e.type == "loan.closed"}
        added = {e.data["isbn"] for e in recorded if e.type == "book.added"}
        assert set(done.opened) <= opened
        assert done.returned <= closed
        assert set(done.books) <= added
        # And the restarted server writes on, with seq numbers it never used before.
        last = database.last_seq()
        client.return_book(next(i for i, loan in stored.items() if not loan.returned))
        assert [e.type for e in database.events_after(last)] == ["loan.closed"]
    finally:
        client.close()
        database.close()
