"""`python -m bench.floor --db PATH`: the service alone, called in-process, with no protocol.

What every server pays for an operation before any protocol work: the floor under all
throughput figures. The calls come from as many concurrent callers as the load has
connections, since the SQLite thread then takes several calls per wake-up, as it does under
load. Prints one JSON object: CPU microseconds per call, by operation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from bench import payloads
from services.catalogue import open_catalogue
from services.service import LibraryService

WARMUP_CALLS = 50
CALLERS = 32  # the load's connections


async def cpu_per_call(call: Callable[[], Awaitable[object]], seconds: float) -> float:
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
    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    return (time.process_time() - cpu) / calls * 1e6


async def measure(db: str, seconds: float) -> dict[str, float]:
    catalogue = await open_catalogue(db, seed=True)
    service: LibraryService = catalogue.service
    isbns = payloads.isbns(70)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "get_book": lambda: service.get_book(payloads.ISBN),
        "list_books": lambda: service.list_books(),
        "add_book": lambda: service.add_book(payloads.book_fields(next(isbns))),
    }
    try:
        return {op: await cpu_per_call(call, seconds) for op, call in calls.items()}
    finally:
        await catalogue.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--seconds", type=float, default=2.0, help="per operation")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.db, args.seconds))))


if __name__ == "__main__":
    main()
