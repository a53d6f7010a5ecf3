"""A mixed-protocol load: clients over REST, SOAP and WebSocket borrow and return a few books
of few copies at once, while WebSocket subscribers collect every event.

python -m tests.load.mixed --duration 120

It checks, while it runs, that no book ever has fewer than zero copies available and that its
counter of copies on loan always equals its open loans; and at the end, that every
acknowledged borrow and return is in the database, that nothing else is, and that every
subscriber saw every event exactly once, in seq order, the loan events being exactly the
acknowledged changes. Both the duration and the number of calls are bounded.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clients.interface import LibraryClient, RemoteError
from clients.rest import RestClient
from clients.soap import SoapClient
from clients.ws import WsClient
from services.models import Loan
from tests.load import server
from tests.load.audit import Database
from tests.load.subscribers import Subscriber
from tests.support import book_fields

PROTOCOLS: dict[str, Callable[[str], LibraryClient]] = {
    "rest": RestClient,
    "soap": SoapClient,
    "websocket": WsClient,
}
SAMPLE_EVERY = 0.05  # seconds between two looks at the database during the load
SETTLE = 30.0  # seconds subscribers get, after the load, to receive the last events


@dataclass(frozen=True)
class Plan:
    duration: float = 8.0  # seconds of load, at most
    calls: int = 150  # per client, at most
    clients: int = 3  # per protocol
    subscribers: int = 2
    books: int = 3
    copies: int = 2  # few, so that borrows meet a book with no copy free
    seed: int = 0


@dataclass
class Ledger:
    """Every acknowledged change, shared by the clients; a change counts once it is answered."""

    opened: dict[str, Loan] = field(default_factory=dict)
    closed: dict[str, Loan] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open_ids(self) -> list[str]:
        with self.lock:
            return [loan_id for loan_id in self.opened if loan_id not in self.closed]

    def acknowledge(self, outcome: str, loan: Loan | None = None) -> None:
        with self.lock:
            self.calls[outcome] += 1
            if loan is None:
                return
            if outcome == "borrowed":
                self.opened[loan.id] = loan
            elif loan.id in self.closed:
                self.problems.append(f"loan {loan.id} was acknowledged as returned twice")
            else:
                self.closed[loan.id] = loan

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def work(
    client: LibraryClient,
    member: str,
    plan: Plan,
    isbns: list[str],
    ledger: Ledger,
    stop: threading.Event,
) -> None:
    """One client's calls: borrows, returns of anyone's open loans (so returns race), reads."""
    rng = random.Random(f"{plan.seed}-{member}")
    for _ in range(plan.calls):
        if stop.is_set():
            return
        choice = rng.random()
        try:
            if choice < 0.5:
                ledger.acknowledge("borrowed", client.borrow_book(rng.choice(isbns), member))
            elif choice < 0.9 and (open_ids := ledger.open_ids()):
                ledger.acknowledge("returned", client.return_book(rng.choice(open_ids)))
            else:
                book = client.get_book(rng.choice(isbns))
                if not 0 <= book.available <= book.copies:
                    ledger.problem(f"{member} read {book.isbn} with available {book.available}")
                ledger.acknowledge("read")
        except RemoteError as error:
            if error.kind != "conflict":  # no copy free, or returned already: expected
                ledger.problem(f"{member}: {error}")
                return
            ledger.acknowledge("conflict")
        except Exception as error:
            ledger.problem(f"{member}: {type(error).__name__}: {error}")
            return


def sample(database: Database, isbns: list[str], ledger: Ledger, stop: threading.Event) -> None:
    """Looks at the stock of every book until told to stop; each look is one snapshot."""
    while not stop.wait(SAMPLE_EVERY):
        for stock in database.stock(isbns):
            for text in stock.problems():
                ledger.problem(f"during the load: {text}")
        ledger.acknowledge("sample")


@dataclass
class Report:
    plan: Plan
    calls: Counter[str]
    events_seen: list[int]
    problems: list[str]

    def summary(self) -> str:
        calls = ", ".join(f"{n} {what}" for what, n in sorted(self.calls.items()))
        lines = [
            f"{self.plan.clients} clients per protocol, {self.plan.subscribers} subscribers, "
            f"{self.plan.books} books of {self.plan.copies} copies",
            f"calls: {calls}",
            f"events seen by each subscriber: {self.events_seen}",
        ]
        lines += [f"PROBLEM: {text}" for text in self.problems] or ["no problems"]
        return "\n".join(lines)


def run(url: str, db: Path, plan: Plan) -> Report:
    """Runs the load against the gateway at `url`, whose SQLite database is `db`."""
    setup = RestClient(url)
    isbns = [setup.add_book(**book_fields(copies=plan.copies)).isbn for _ in range(plan.books)]
    setup.close()
    database = Database(db)
    subscribers = [Subscriber(url) for _ in range(plan.subscribers)]
    # Subscribed before the first borrow; events up to here (the books added) are not compared.
    start_seq = database.last_seq()
    ledger = Ledger()
    stop = threading.Event()
    clients = [
        (make(url), f"{protocol}-{index}")
        for protocol, make in PROTOCOLS.items()
        for index in range(plan.clients)
    ]
    threads = [
        threading.Thread(target=work, args=(client, member, plan, isbns, ledger, stop))
        for client, member in clients
    ]
    sampler = threading.Thread(target=sample, args=(database, isbns, ledger, stop))
    try:
        for thread in [*threads, sampler]:
            thread.start()
        deadline = time.monotonic() + plan.duration
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    finally:
        # Also when interrupted: every thread ends with its call in flight, none is left behind.
        stop.set()
        for thread in [*threads, sampler]:
            if thread.is_alive():
                thread.join()
        for client, _ in clients:
            client.close()
    final_seq = database.last_seq()
    for subscriber in subscribers:
        if final_seq > start_seq:
            subscriber.wait_for(final_seq, SETTLE)
        subscriber.close()
    problems = ledger.problems + audit(database, isbns, ledger, start_seq, subscribers)
    database.close()
    seen = [len(s.after(start_seq)) for s in subscribers]
    return Report(plan, ledger.calls, seen, problems)


def audit(
    database: Database,
    isbns: list[str],
    ledger: Ledger,
    start_seq: int,
    subscribers: list[Subscriber],
) -> list[str]:
    """What must hold once the load is over; a list of what does not."""
    problems = [f"after the load: {text}" for s in database.stock(isbns) for text in s.problems()]
    stored = database.loans(isbns)
    if set(stored) != set(ledger.opened):
        problems.append(
            f"loans stored but never acknowledged: {sorted(set(stored) - set(ledger.opened))}; "
            f"acknowledged but not stored: {sorted(set(ledger.opened) - set(stored))}"
        )
    for loan_id, loan in ledger.opened.items():
        kept = stored.get(loan_id)
        if kept is not None and (kept.isbn, kept.member) != (loan.isbn, loan.member):
            problems.append(f"loan {loan_id} is stored as {kept}, acknowledged as {loan}")
        if kept is not None and kept.returned != (loan_id in ledger.closed):
            problems.append(f"loan {loan_id}: stored returned={kept.returned}, acknowledged not")
    recorded = database.events_after(start_seq)
    for kind, acknowledged in (("loan.opened", ledger.opened), ("loan.closed", ledger.closed)):
        ids = Counter(e.data["id"] for e in recorded if e.type == kind)
        if ids != Counter(acknowledged.keys()):
            problems.append(f"{kind} events do not match the acknowledged changes")
    expected = [e.seq for e in recorded]
    for index, subscriber in enumerate(subscribers):
        problems += [f"subscriber {index}: {text}" for text in subscriber.problems]
        seqs = [event["seq"] for event in subscriber.after(start_seq)]
        if seqs != expected:
            missing = sorted(set(expected) - set(seqs))
            twice = sorted(seq for seq, n in Counter(seqs).items() if n > 1)
            problems.append(
                f"subscriber {index} saw {len(seqs)} of {len(expected)} events; "
                f"missing {missing[:10]}, twice {twice[:10]}, in order: {seqs == sorted(seqs)}"
            )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load, at most")
    parser.add_argument("--calls", type=int, default=100_000, help="calls per client, at most")
    parser.add_argument("--clients", type=int, default=4, help="clients per protocol")
    parser.add_argument("--subscribers", type=int, default=3)
    parser.add_argument("--books", type=int, default=3)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--server-workers", type=int, default=2, help="gateway processes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    plan = Plan(
        duration=args.duration,
        calls=args.calls,
        clients=args.clients,
        subscribers=args.subscribers,
        books=args.books,
        copies=args.copies,
        seed=args.seed,
    )
    # Stopped with SIGTERM (by a test's timeout, a CI runner), still stop the gateway first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as directory:
        db = Path(directory) / "soak.db"
        arguments = ["--no-seed", "--workers", str(args.server_workers)]
        with server.running(db, arguments) as gateway:
            report = run(gateway.url, db, plan)
    print(report.summary())
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
