"""What one load run yields, and the arithmetic shared by every driver."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LoadResult:
    """One server, one protocol, one operation, one load generator, one stretch of time."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    driver: str
    connections: int
    server_cpu: float = math.nan  # share of one core the server process used
    driver_cpu: float = math.nan  # share of one core the load generator used
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps": self.rps}


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values; NaN when there are none."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_result(
    latencies: list[float],
    errors: int,
    seconds: float,
    driver: str,
    connections: int,
    driver_cpu: float,
) -> LoadResult:
    """A LoadResult from per-request latencies in seconds."""
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        seconds=seconds,
        errors=errors,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        driver=driver,
        connections=connections,
        driver_cpu=driver_cpu,
    )
