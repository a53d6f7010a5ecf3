"""SOAP answers written once for each domain value they carry, and then served as bytes.

spyne writes an answer by walking its XSD types field by field into an lxml tree, then
serialises the tree: two fifths of SOAP GetBook's time in a profile under load, more than the
service's. What it writes depends only on the operation and the domain value the operation
returned (a Book, a Page, a Loan: frozen values, equal when their every field is), so the
bytes written for an equal value are the same bytes. An operation names that value with
`remember`; the protocol (gateway.soap.protocol) then serves the bytes kept for it, or writes
them as before and keeps them.

Answers with a fault or a SOAP header are never kept. Lists are written in a worker thread,
hence the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

KEPT = 2048
"""Answers kept, the least recently served dropped first: a few MiB at most."""


@dataclass(frozen=True)
class AnswerKey:
    """What an answer's bytes depend on: the operation and the domain value."""

    operation: str
    value: Hashable


@dataclass
class Remembered:
    """Left in spyne's method context (its `udc`, the slot spyne keeps for its users)."""

    key: AnswerKey
    body: bytes | None = None  # the kept bytes, when serialize found them


class Answers:
    """A bounded, thread-safe map of AnswerKey to the bytes of the whole envelope."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._bodies: OrderedDict[AnswerKey, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: AnswerKey) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def keep(self, key: AnswerKey, body: bytes) -> None:
        with self._lock:
            self._bodies[key] = body
            if len(self._bodies) > self.kept:
                self._bodies.popitem(last=False)


def remember(ctx: Any, value: Hashable) -> None:
    """Names the domain value the current operation answers with: its answer may be kept."""
    ctx.udc = Remembered(AnswerKey(ctx.descriptor.name, value))


def remembered(ctx: Any) -> Remembered | None:
    udc = ctx.udc
    return udc if isinstance(udc, Remembered) else None
