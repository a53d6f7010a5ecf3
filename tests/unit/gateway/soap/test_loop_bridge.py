"""Synchronous code on the loop that waits for coroutines: results, errors and refusals."""

from __future__ import annotations

import asyncio

import pytest

from gateway.soap.loop_bridge import in_bridge, run_bridged, wait_for


async def double(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


async def fail() -> None:
    await asyncio.sleep(0)
    raise LookupError("from the coroutine")


def sums_two_awaits(start: int) -> int:
    assert in_bridge()
    return wait_for(double(start)) + wait_for(double(start + 1))


def catches(label: str) -> str:
    try:
        wait_for(fail())
    except LookupError as error:
        return f"{label}: {error}"
    return "not raised"


def test_sync_code_gets_each_awaited_result() -> None:
    assert asyncio.run(run_bridged(sums_two_awaits, 5)) == 22


def test_an_error_in_the_coroutine_is_raised_where_the_sync_code_waits() -> None:
    assert asyncio.run(run_bridged(catches, "caught")) == "caught: from the coroutine"


def test_waiting_outside_the_bridge_is_refused() -> None:
    assert not in_bridge()
    coroutine = double(1)
    with pytest.raises(RuntimeError, match="run_bridged"):
        wait_for(coroutine)
    coroutine.close()


def test_bridged_calls_interleave_without_mixing_their_results() -> None:
    async def many() -> list[int]:
        return await asyncio.gather(*(run_bridged(sums_two_awaits, n) for n in range(20)))

    assert asyncio.run(many()) == [4 * n + 2 for n in range(20)]
