"""What a comparison found, per protocol: the wire figures, the timings, the answer.

"Per call" has two meanings here, and both are kept:
- the first call on a new client, whose one-time set-up (TCP connect, WSDL fetch, WebSocket
  handshake) is reported apart, line by line;
- a repeat call on the same, warm client: the steady state, where a keep-alive connection
  or an open WebSocket is already there.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from clients.compare.weight import Weight
from clients.wire.conversation import Traffic

PROTOCOLS = ("rest", "soap", "websocket")


@dataclass(frozen=True)
class Flow:
    """Wire figures of one stretch of a conversation."""

    round_trips: int = 0
    sent: int = 0
    received: int = 0
    framing: int = 0  # both ways: HTTP start lines, headers, chunk sizes; WebSocket frame headers
    content: int = 0  # both ways: the payloads once decompressed, JSON or XML as written

    @property
    def both_ways(self) -> int:
        return self.sent + self.received

    @classmethod
    def of(cls, traffic: Traffic) -> Flow:
        return cls(
            traffic.round_trips,
            traffic.sent,
            traffic.received,
            traffic.framing,
            traffic.content,
        )

    @classmethod
    def median(cls, flows: list[Flow]) -> Flow:
        def middle(name: str) -> int:
            return int(statistics.median_low([getattr(flow, name) for flow in flows]))

        return cls(**{name: middle(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Measurement:
    protocol: str
    connections: int  # TCP connections opened for the set-up and the first call
    wsdl_fetch: Flow | None
    handshake: Flow | None
    other_setup: Flow | None
    first: Flow  # the first call itself, its set-up excluded
    repeat: Flow  # median of the repeat calls on the warm client
    repeat_connections: int  # connections the repeat calls opened (0 with keep-alive)
    closing: Flow  # what closing the client sent: WebSocket close frames, nothing for HTTP
    compression: str
    cold_ms: tuple[float, ...]  # fresh client, set-up and first call, one sample per run
    making_ms: tuple[float, ...]  # of which making the client: WSDL, handshake, library set-up
    warm_ms: tuple[float, ...]  # repeat calls on one warm client
    answer: Any  # the result as domain values (normalised), or {"error": kind}

    @property
    def cold_p50(self) -> float:
        return percentile(self.cold_ms, 50)

    @property
    def making_p50(self) -> float:
        return percentile(self.making_ms, 50)

    @property
    def warm_p50(self) -> float:
        return percentile(self.warm_ms, 50)

    @property
    def warm_p95(self) -> float:
        return percentile(self.warm_ms, 95)

    @property
    def first_total(self) -> int:
        """Every byte, both ways, from a new client to its first answer."""
        setups = (self.wsdl_fetch, self.handshake, self.other_setup, self.first)
        return sum(flow.both_ways for flow in setups if flow is not None)

    @property
    def first_round_trips(self) -> int:
        setups = (self.wsdl_fetch, self.handshake, self.other_setup, self.first)
        return sum(flow.round_trips for flow in setups if flow is not None)


@dataclass(frozen=True)
class Comparison:
    operation: str
    call: str  # the command line: `get_book isbn=9780132350884`
    runs: int
    scratch: bool  # a write operation, run on scratch books
    masked: tuple[str, ...]
    measurements: dict[str, Measurement]
    differences: dict[str, str]  # protocol: unified diff against the first protocol
    weights: dict[str, Weight] = field(default_factory=dict)
    subject: str = "REST, SOAP and WebSocket"  # what the columns are, for titles
    weighed: str = "client"  # whose weight the `weights` are: the client, or the server

    @property
    def columns(self) -> tuple[str, ...]:
        """What is compared, in the order the report shows it: protocols or frameworks."""
        return tuple(self.measurements)

    @property
    def equal(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name, measurement in self.measurements.items():
            data["measurements"][name]["latency_ms"] = {
                "first_call_p50": measurement.cold_p50,
                "making_the_client_p50": measurement.making_p50,
                "repeat_p50": measurement.warm_p50,
                "repeat_p95": measurement.warm_p95,
            }
        data["equal"] = self.equal
        return data


def percentile(samples: tuple[float, ...] | list[float], rank: float) -> float:
    """Nearest-rank percentile: a value that was measured, never an interpolation."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
    return round(ordered[index], 2)
