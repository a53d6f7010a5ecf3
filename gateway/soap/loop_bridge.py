"""Synchronous code run on the event loop, waiting for coroutines without a thread hop.

spyne is synchronous, the domain service is async. `run_bridged(fn)` runs `fn` in a greenlet
on the loop's own thread; inside it, `wait_for(coroutine)` hands the coroutine to the loop and
resumes `fn` with its result, as SQLAlchemy's asyncio layer does for its drivers. Compared
with a worker thread that calls back into the loop, a call costs two greenlet switches
instead of four thread handovers, and no GIL contention.

Only short synchronous work belongs here: while `fn` computes, the loop waits for it.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from greenlet import getcurrent, greenlet

T = TypeVar("T")


class _Bridged(greenlet):  # type: ignore[misc]  # greenlet ships no type hints
    """Marks a greenlet whose parent is a coroutine ready to await on its behalf."""


def in_bridge() -> bool:
    """Whether `wait_for` can be used here: inside `run_bridged`, on the loop's thread."""
    return isinstance(getcurrent(), _Bridged)


def wait_for(awaitable: Awaitable[T]) -> T:
    """The result of an awaitable, from synchronous code running under `run_bridged`."""
    current = getcurrent()
    if not isinstance(current, _Bridged):
        raise RuntimeError("wait_for() is only possible inside run_bridged()")
    return cast(T, current.parent.switch(awaitable))


async def run_bridged(fn: Callable[..., T], *args: Any) -> T:
    """Runs `fn(*args)` on this thread, awaiting every awaitable it passes to `wait_for`."""
    context = _Bridged(fn, getcurrent())
    result: Any = context.switch(*args)
    while not context.dead:
        try:
            value = await result
        except BaseException:
            # Raised inside fn, where its own handlers (spyne's fault mapping) see it.
            result = context.throw(*sys.exc_info())
        else:
            result = context.switch(value)
    return cast(T, result)
