"""HTTP load with wrk, the C load generator, where it is installed (Debian: `apt-get install wrk`).

One wrk thread and `connections` keep-alive connections on the load generator's core. Its Lua
scripts (bench/lua/) read the request from a file and report counts and percentiles as JSON.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.measure import LoadResult
from bench.payloads import HttpRequest

DRIVER = "wrk"
LUA = Path(__file__).parent / "lua"
TIMEOUT_GRACE = 30.0


def available() -> bool:
    return shutil.which("wrk") is not None


def version() -> str:
    """wrk prints its version as the first line of its usage text."""
    found = shutil.which("wrk")
    if found is None:
        return "not installed"
    usage = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    first_line = (usage.stdout or usage.stderr).splitlines()[0]
    return first_line.split(" Copyright")[0].strip()


def request_file(request: HttpRequest) -> str:
    lines = [f"{request.method} {request.path}", *(f"{k}: {v}" for k, v in request.headers)]
    return "\r\n".join(lines) + "\r\n\r\n" + request.body.decode()


def run_load(
    host: str,
    port: int,
    request: HttpRequest,
    connections: int,
    seconds: int,
    isbn_prefix: str | None = None,
) -> LoadResult:
    """Drives one request shape; with `isbn_prefix`, "{ISBN}" in its body is new each time."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed")
    with tempfile.TemporaryDirectory(prefix="rosetta-wrk-") as scratch:
        folder = Path(scratch)
        script = (LUA / "request.lua").read_text()
        if isbn_prefix is not None:
            script += "\n" + (LUA / "fresh_isbn.lua").read_text()
        (folder / "run.lua").write_text(script)
        (folder / "request.txt").write_text(request_file(request))
        argv = [
            found,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(folder / "run.lua"),
            f"http://{host}:{port}{request.path}",
            "--",
            str(folder / "request.txt"),
            *([isbn_prefix] if isbn_prefix is not None else []),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        finished = subprocess.run(  # noqa: S603
            argv, capture_output=True, text=True, timeout=seconds + TIMEOUT_GRACE, check=False
        )
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed: {finished.stderr.strip() or finished.stdout.strip()}")
    summary = json.loads(finished.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # wrk counts every answer in `requests`, and those with a status of 400 and above again
    # in `status`; its other error counts are calls that got no answer.
    errors = sum(summary[k] for k in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(
        requests=summary["requests"],
        good=summary["requests"] - summary["status"],
        seconds=summary["duration_us"] / 1e6,
        errors=errors,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        driver=DRIVER,
        connections=connections,
        driver_cpu=cpu / elapsed,
    )
