"""Prometheus metrics, labelled by protocol and operation, in one registry per gateway.

HTTP adapters are wrapped by `MeasuredHTTP`, which times each request and counts its body
bytes; the adapter names the operation (and any error kind) with `label_request` once it knows
them. The WebSocket adapter calls `Metrics.record` itself, once per JSON-RPC call.

`rosetta_instance_info` names the gateway instance that answered a scrape (ROSETTA_INSTANCE).
Its label is `name`, not `instance`: Prometheus gives every scraped series an `instance` label
of its own, the address it scraped, and would rename a clashing one.
With several worker processes the values are shared through files (gateway/worker_metrics.py).
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.worker_metrics import collect, shared_folder

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_OPERATION_KEY = "rosetta.operation"
_ERROR_KEY = "rosetta.error_kind"


class Metrics:
    def __init__(self, instance: str) -> None:
        self.registry = CollectorRegistry()
        self.shared_folder = shared_folder()
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
            "rosetta_websocket_connections",
            "Open WebSocket connections",
            registry=self.registry,
            multiprocess_mode="livesum",  # the sum over the worker processes still running
        )
        self.events = Counter(
            "rosetta_events_pushed",
            "Event notifications sent to WebSocket subscribers",
            registry=self.registry,
        )
        self.instance_info = Gauge(
            "rosetta_instance_info",
            "The gateway instance that answered this scrape, by name; always 1",
            ["name"],
            registry=self.registry,
            multiprocess_mode="max",  # every worker of an instance sets the same series to 1
        )
        self.instance_info.labels(instance).set(1)

        # The labelled children of each (protocol, operation), looked up once: prometheus_client's
        # labels() validates and locks on every call, a tenth of REST get_book's adapter time.
        self._children: dict[tuple[str, str], tuple[Counter, Histogram, Counter, Counter]] = {}

    def record(
        self,
        protocol: str,
        operation: str,
        seconds: float,
        received: int,
        sent: int,
        error_kind: str | None = None,
    ) -> None:
        children = self._children.get((protocol, operation))
        if children is None:
            children = self._children[(protocol, operation)] = (
                self.requests.labels(protocol, operation),
                self.latency.labels(protocol, operation),
                self.received.labels(protocol, operation),
                self.sent.labels(protocol, operation),
            )
        requests, latency, received_bytes, sent_bytes = children
        requests.inc()
        latency.observe(seconds)
        received_bytes.inc(received)
        sent_bytes.inc(sent)
        if error_kind is not None:
            self.errors.labels(protocol, operation, error_kind).inc()

    def exposition(self) -> bytes:
        if self.shared_folder is None:
            return generate_latest(self.registry)
        return collect(self.shared_folder)


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
