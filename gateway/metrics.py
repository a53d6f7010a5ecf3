"""Prometheus metrics, labelled by protocol and operation, in one registry per gateway.

HTTP adapters are wrapped by `MeasuredHTTP`, which times each request and counts its body
bytes; the adapter names the operation (and any error kind) with `label_request` once it knows
them. The WebSocket adapter calls `Metrics.record` itself, once per JSON-RPC call.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_OPERATION_KEY = "rosetta.operation"
_ERROR_KEY = "rosetta.error_kind"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["protocol", "operation"]
        self.requests = Counter("rosetta_requests", "Calls handled", labels, registry=self.registry)
        self.errors = Counter(
            "rosetta_errors",
            "Calls answered with an error",
            [*labels, "kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rosetta_request_duration_seconds",
            "Time from request to response",
            labels,
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.received = Counter(
            "rosetta_received_bytes",
            "Request payload bytes (HTTP body, WebSocket frame text)",
            labels,
            registry=self.registry,
        )
        self.sent = Counter(
            "rosetta_sent_bytes",
            "Response payload bytes (HTTP body, WebSocket frame text)",
            labels,
            registry=self.registry,
        )
        self.websockets = Gauge(
            "rosetta_websocket_connections", "Open WebSocket connections", registry=self.registry
        )
        self.events = Counter(
            "rosetta_events_pushed",
            "Event notifications sent to WebSocket subscribers",
            registry=self.registry,
        )
        # Finding a labelled child takes a lock and checks its labels each time: four of them
        # per call were a tenth of a WebSocket get_book's CPU. Protocols and operations are a
        # fixed set, so the children are found once each.
        self._series: dict[tuple[str, str], _Series] = {}

    def record(
        self,
        protocol: str,
        operation: str,
        seconds: float,
        received: int,
        sent: int,
        error_kind: str | None = None,
    ) -> None:
        series = self._series.get((protocol, operation))
        if series is None:
            series = self._series[protocol, operation] = _Series(
                self.requests.labels(protocol, operation),
                self.latency.labels(protocol, operation),
                self.received.labels(protocol, operation),
                self.sent.labels(protocol, operation),
            )
        series.requests.inc()
        series.latency.observe(seconds)
        series.received.inc(received)
        series.sent.inc(sent)
        if error_kind is not None:
            self.errors.labels(protocol, operation, error_kind).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Series(NamedTuple):
    """The labelled children that one protocol and operation record a call into."""

    requests: Counter
    latency: Histogram
    received: Counter
    sent: Counter


def label_request(scope: Scope, operation: str, error_kind: str | None = None) -> None:
    """Names the operation (and error kind) of the current HTTP request for MeasuredHTTP."""
    state: dict[str, Any] = scope.setdefault("state", {})
    state[_OPERATION_KEY] = operation
    if error_kind is not None:
        state[_ERROR_KEY] = error_kind


class MeasuredHTTP:
    """ASGI middleware: one `Metrics.record` per HTTP request, labelled by the adapter."""

    def __init__(self, app: ASGIApp, metrics: Metrics, protocol: str) -> None:
        self.app = app
        self.metrics = metrics
        self.protocol = protocol

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        received = sent = 0
        status = 500

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        async def counting_send(message: Message) -> None:
            nonlocal sent, status
            if message["type"] == "http.response.start":
                status = message["status"]
            sent += len(message.get("body", b""))
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            state = scope["state"]
            error_kind = state.get(_ERROR_KEY)
            if error_kind is None and status >= 500:
                error_kind = "server_fault"
            self.metrics.record(
                self.protocol,
                state.get(_OPERATION_KEY, "unknown"),
                time.perf_counter() - started,
                received,
                sent,
                error_kind,
            )
