"""`python -m bench.profile`: where the gateway's CPU goes, from py-spy, for each target.

For get_book through each protocol (and for a fan-out), the gateway runs alone on the servers'
core under the same load as `python -m bench`, while py-spy samples every thread. Each busy
sample is charged to the component of its innermost Python frame (service and storage, spyne,
uvicorn, ...), so the table says what bounds a ratio. Idle samples (the event loop waiting in
epoll, the SQLite thread waiting for work) are dropped; so is the C event loop's own work
between Python callbacks, which py-spy sees as the loop waiting. Needs py-spy (the `bench`
extra) and the right to trace a process (root, or ptrace allowed).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import linecache
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import run
from bench.report import markdown_table
from bench.servers import Running, pin_plan, running

COMPONENTS = (  # first match of the innermost frame's file wins
    ("service and storage", ("/services/", "/sqlalchemy/", "/aiosqlite/", "sqlite3")),
    ("spyne and lxml", ("/spyne/", "/lxml/")),
    ("gateway adapters", ("/gateway/",)),
    ("uvicorn", ("/uvicorn/", "/uvloop/", "/httptools/")),
    ("starlette and fastapi", ("/starlette/", "/fastapi/", "/pydantic")),
    ("websockets", ("/websockets/",)),
    ("prometheus_client", ("/prometheus_client/",)),
    ("asyncio and greenlet", ("/asyncio/", "/greenlet/", "/anyio/", "/concurrent/")),
    ("json", ("/json/",)),
)
FAN_OUT_FRAMES = ("_push_events", "_fan_out", "_deliver_new")
# Source text of the lines a thread waits on when it has nothing to do.
IDLE_LINES = ("run_until_complete(", "tx.get()")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.*):(?P<line>\d+)\)$")


def is_idle(frame: str) -> bool:
    match = _FRAME.match(frame)
    if match is None:
        return False
    text = linecache.getline(match["path"], int(match["line"]))
    return any(marker in text for marker in IDLE_LINES)


def component(frame: str) -> str:
    match = _FRAME.match(frame)
    # py-spy names files relative to their sys.path entry: "spyne/protocol/xml.py".
    path = "/" + match["path"] if match else frame
    for name, markers in COMPONENTS:
        if any(marker in path for marker in markers):
            return name
    return "other"


@dataclass
class Summary:
    samples: int = 0
    components: collections.Counter[str] = field(default_factory=collections.Counter)
    functions: collections.Counter[str] = field(default_factory=collections.Counter)

    def share(self, count: int) -> str:
        return f"{count / self.samples:.0%}" if self.samples else "n/a"


def summarise(raw: Path, keep: Callable[[str], bool] = lambda _stack: True) -> Summary:
    """Shares of samples by component and by innermost function, from py-spy's raw output."""
    summary = Summary()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or not keep(stack):
            continue
        leaf = stack.split(";")[-1]
        if is_idle(leaf):
            continue
        summary.components[component(leaf)] += int(count)
        summary.functions[leaf.split(" (")[0] + " (" + leaf.rsplit("/", 1)[-1]] += int(count)
        summary.samples += int(count)
    return summary


def record(server: Running, folder: Path, name: str, work: Callable[[], object]) -> Path:
    beside = Path(sys.executable).parent / "py-spy"  # the virtual environment's own
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    raw = folder / f"profile-{name}.txt"
    argv = [spy, "record", "--pid", str(server.pid), "--nonblocking"]
    argv += ["--rate", "250", "--format", "raw", "--output", str(raw)]
    spying = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    try:
        asyncio.run(asyncio.sleep(1.0))  # py-spy attaches
        work()
    finally:
        spying.send_signal(signal.SIGINT)
        _, err = spying.communicate(timeout=30)
    if not raw.exists():
        raise SystemExit(f"py-spy recorded nothing: {err.decode().strip()[-500:]}")
    return raw


def section(title: str, summary: Summary) -> str:
    components = [[c, summary.share(n)] for c, n in summary.components.most_common()]
    functions = [[f, summary.share(n)] for f, n in summary.functions.most_common(12)]
    return "\n".join(
        [
            f"## {title}",
            "",
            f"{summary.samples} busy samples of the gateway's threads, by innermost frame.",
            "",
            markdown_table(["component", "share"], components),
            "",
            markdown_table(["innermost function", "share"], functions),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny loads: check the harness")
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    plan = run.Plan.make(args.quick, "auto")
    server_cores, driver_cores = pin_plan()
    if driver_cores:
        os.sched_setaffinity(0, driver_cores)
    args.results.mkdir(parents=True, exist_ok=True)
    parts = ["# Where the gateway's time goes", "", "Generated by `python -m bench.profile`.", ""]
    spec = run.server_specs()[run.GATEWAY]
    with (
        tempfile.TemporaryDirectory(prefix="rosetta-profile-") as scratch,
        running([spec], Path(scratch), server_cores) as servers,
    ):
        gateway = servers[run.GATEWAY]
        for protocol in ("rest", "soap", "websocket"):
            run.measure_load(plan, gateway, protocol, "get_book")  # warm-up
            load = functools.partial(run.measure_load, plan, gateway, protocol, "get_book")
            raw = record(gateway, Path(scratch), f"{protocol}-get_book", load)
            parts.append(section(f"{protocol} get_book", summarise(raw)))
        size = max(plan.fanout)
        raw = record(gateway, Path(scratch), "fanout", lambda: run.fan_out(gateway, size))
        keep = lambda stack: any(f in stack for f in FAN_OUT_FRAMES)  # noqa: E731
        parts.append(section(f"fan-out to {size:,} subscribers", summarise(raw, keep)))
    path = args.results / "profiles.md"
    path.write_text("\n".join(parts))
    print("\n".join(parts))
    print("written:", path)


if __name__ == "__main__":
    main()
