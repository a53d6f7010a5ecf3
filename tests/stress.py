"""`make test-stress`: the integration suite, several times over, on a machine kept busy.

A test that passes only on a quiet machine fails in CI one day by chance. This run starts one
busy process per core (`yes > /dev/null`), then runs the suite `--runs` times in a row, each
spread over pytest-xdist workers so that tests also compete with one another, and stops at the
first failing run. The busy processes are killed on every path, and the whole run is bounded by
`--budget` seconds. Arguments after `--` go to pytest (for example a folder and `-x`).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """`count` processes that each hold a core for as long as the block runs."""
    hogs = [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.stress", description=__doc__)
    cores = os.cpu_count() or 1
    parser.add_argument("--runs", type=int, default=3, help="runs of the suite in a row (3)")
    parser.add_argument("--busy", type=int, default=cores, help="busy processes (one per core)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (2)")
    parser.add_argument(
        "--budget", type=float, default=3600, help="seconds for every run together (3600)"
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest's own arguments")
    args = parser.parse_args(argv)
    paths = args.pytest_args or ["tests/integration"]
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "xdist",
        f"--numprocesses={args.workers}",
        # A file's tests stay on one worker: some share a module's gateway and run in order.
        "--dist=loadfile",
        *paths,
    ]
    deadline = time.monotonic() + args.budget
    with busy_cores(args.busy):
        for run in range(1, args.runs + 1):
            print(f"stress run {run} of {args.runs}, {args.busy} busy processes: {command[3:]}")
            # Its own process group, so that a run over budget is stopped with every worker
            # and gateway it started.
            suite = subprocess.Popen(command, start_new_session=True)
            try:
                returncode = suite.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(suite.pid, signal.SIGKILL)
                suite.wait()
                print(f"stress run {run} did not finish within the budget of {args.budget:.0f} s")
                return 1
            if returncode != 0:
                print(f"stress run {run} failed")
                return returncode
    print(f"{args.runs} loaded runs passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
