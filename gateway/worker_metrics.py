"""Metrics shared by worker processes: prometheus_client's multiprocess mode.

With `--workers N` above 1 each process counts only what it served, and a scrape reaches one of
them. So `rosetta serve` gives the workers a fresh folder in PROMETHEUS_MULTIPROC_DIR, where
prometheus_client keeps every process's values in memory-mapped files, and whichever worker
answers /metrics adds up all of them. The folder is made at start and removed at exit: files
left from an earlier run would be added to this one's counts.

A worker that dies leaves its files. Its counters stay in the sums, as the calls it served
happened; its live gauges (open WebSockets) must not, so each scrape first marks the processes
that are gone as dead, which removes those gauges' files.

One worker keeps prometheus_client's default, in-memory values: no files on the hot path.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

# prometheus_client's own switch, read when it is first imported by each process.
FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Gauges whose multiprocess mode counts live processes only: gauge_livesum_1234.db and so on.
_LIVE_GAUGE_FILES = "gauge_live*_*.db"


def shared_folder() -> Path | None:
    """The folder this process shares its metrics through, or None when it keeps them alone."""
    folder = os.environ.get(FOLDER_VARIABLE)
    return Path(folder) if folder else None


@contextmanager
def folder_for_workers(workers: int) -> Iterator[Path | None]:
    """Around a server run: with more than one worker process, a fresh folder, in the
    environment the workers inherit, removed afterwards. With one, nothing changes."""
    if workers <= 1:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="rosetta-metrics-") as folder:
        os.environ[FOLDER_VARIABLE] = folder
        try:
            yield Path(folder)
        finally:
            del os.environ[FOLDER_VARIABLE]


def collect(folder: Path) -> bytes:
    """Every worker's metrics, added up, in Prometheus's text format."""
    forget_dead_processes(folder)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, str(folder))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def forget_dead_processes(folder: Path) -> None:
    for path in folder.glob(_LIVE_GAUGE_FILES):
        pid = int(path.stem.rpartition("_")[2])
        if not _alive(pid):
            mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
