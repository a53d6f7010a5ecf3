"""The facts a benchmark figure means nothing without: the machine, the software, the tools."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import wrk
from bench.baselines.spyne_app import server_name

PACKAGES = (
    "uvicorn",
    "uvloop",
    "httptools",
    "starlette",
    "fastapi",
    "pydantic",
    "spyne",
    "lxml",
    "websockets",
    "sqlalchemy",
    "asyncpg",
    "bjoern",
)


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(server_cores: set[int] | None, driver_cores: set[int] | None) -> dict[str, Any]:
    pinning = (
        f"servers on core {sorted(server_cores)}, load generator on {sorted(driver_cores)}"
        if server_cores and driver_cores
        else "not pinned: fewer than two cores are available"
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "pinning": pinning,
        # Other work on the machine shows here: figures taken under load are not comparable.
        "load_average_before": os.getloadavg(),
        "wrk": wrk.version(),
        "soap_baseline_server": server_name(),
        "packages": {name: package_version(name) for name in PACKAGES},
    }
