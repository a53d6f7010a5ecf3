"""SOAP answers written once for each domain value they carry, and then served as bytes.

spyne writes an answer by walking its XSD types field by field into an lxml tree, then
serialises the tree: two fifths of SOAP GetBook's time in a profile under load, more than the
service's. What it writes depends only on the operation and the domain value the operation
returned (a Book, a Page, a Loan: frozen values, equal when their every field is), so the
bytes written for an equal value are the same bytes (storage returns prices with two
decimals and moments in UTC, the only fields whose equality is looser than their text). An
operation names that value with `answer`; the protocol (gateway.soap.protocol) then serves
the bytes kept for it, or writes them as before and keeps them. On a kept answer the
operation skips building spyne's objects too (a seventh of GetBook's time): it returns None,
and the protocol builds them after all in the rare case the answer was dropped in between.

Answers with a fault or a SOAP header are never kept. Lists are written in a worker thread,
hence the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
V = TypeVar("V", bound=Hashable)

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
    build: Callable[[], Any]  # the operation's spyne result, for when no bytes are kept
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


def answer(ctx: Any, value: V, convert: Callable[[V], T]) -> T | None:
    """The operation's result for `value`, converted to spyne's types by `convert`; None when
    the bytes of an answer with an equal value are kept (and so no conversion is needed)."""
    key = AnswerKey(ctx.descriptor.name, value)
    ctx.udc = Remembered(key, lambda: convert(value))
    answers: Answers = ctx.out_protocol.answers
    return None if answers.get(key) is not None else convert(value)


def remembered(ctx: Any) -> Remembered | None:
    udc = ctx.udc
    return udc if isinstance(udc, Remembered) else None
