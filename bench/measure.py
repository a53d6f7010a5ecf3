"""What one load run yields, and the arithmetic shared by every driver."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LoadResult:
    """One server, one protocol, one operation, one load generator, one stretch of time."""

    requests: int  # answers received, successes and error answers alike
    good: int  # answers that were successes: the only ones a throughput figure counts
    seconds: float
    errors: int  # calls that failed: error answers, and calls that never got an answer
    p50_ms: float
    p99_ms: float
    driver: str
    connections: int
    server_cpu: float = math.nan  # share of one core the server process used
    driver_cpu: float = math.nan  # share of one core the load generator used
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        """Successful answers per second: a server that answers errors fast is not fast."""
        return self.good / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_share(self) -> float:
        """The failed calls' share of every call that ended; NaN when none did."""
        ended = self.good + self.errors
        return self.errors / ended if ended else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps": self.rps, "error_share": self.error_share}


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values; NaN when there are none."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_result(
    latencies: list[float],
    error_answers: int,
    unanswered: int,
    seconds: float,
    driver: str,
    connections: int,
    driver_cpu: float,
) -> LoadResult:
    """A LoadResult from the latencies in seconds of every answer, `error_answers` of which
    were errors, and the count of calls that got no answer at all."""
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        good=len(latencies) - error_answers,
        seconds=seconds,
        errors=error_answers + unanswered,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        driver=driver,
        connections=connections,
        driver_cpu=driver_cpu,
    )
