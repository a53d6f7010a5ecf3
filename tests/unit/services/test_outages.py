"""Storage's translation of driver failures: an outage becomes Unavailable, a bug stays itself."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable
from typing import TypeVar

import asyncpg
import pytest

from services.errors import Unavailable
from services.storage.outages import is_postgres_outage, is_sqlite_outage, translating

T = TypeVar("T")


def sqlite_error(code_name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("failed")
    error.sqlite_errorname = code_name
    return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.TooManyConnectionsError("too many clients"),
        asyncpg.InterfaceError("connection is closed"),
    ],
    ids=repr,
)
def test_a_postgresql_server_out_of_reach_is_an_outage(error: Exception) -> None:
    assert is_postgres_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.PostgresSyntaxError("syntax error"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        ValueError("a bug"),
    ],
    ids=repr,
)
def test_a_refused_statement_or_a_bug_is_no_outage(error: Exception) -> None:
    assert not is_postgres_outage(error)


def test_sqlite_outages_are_named_by_their_result_code() -> None:
    assert is_sqlite_outage(sqlite_error("SQLITE_CANTOPEN"))
    assert is_sqlite_outage(sqlite_error("SQLITE_IOERR_FSYNC"))
    assert is_sqlite_outage(sqlite_error("SQLITE_BUSY"))
    assert not is_sqlite_outage(sqlite_error("SQLITE_ERROR"))  # bad SQL: a bug
    assert not is_sqlite_outage(sqlite3.IntegrityError("UNIQUE constraint failed"))


@translating(is_postgres_outage)
class Flaky:
    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    async def read(self) -> int:
        raise self.failure

    async def _private(self) -> int:
        raise self.failure


def test_public_methods_raise_unavailable_for_an_outage_and_keep_its_cause() -> None:
    cause = ConnectionRefusedError(111, "Connection refused")
    with pytest.raises(Unavailable) as raised:
        asyncio.run(Flaky(cause).read())
    assert raised.value.kind == "unavailable"
    assert raised.value.details == {"retry_after": 2}
    assert "refused" not in raised.value.message  # the driver's words stay in the log
    assert raised.value.__cause__ is cause


def test_other_failures_and_private_methods_pass_through_untouched() -> None:
    with pytest.raises(ValueError, match="a bug"):
        asyncio.run(Flaky(ValueError("a bug")).read())
    with pytest.raises(ConnectionRefusedError):
        asyncio.run(Flaky(ConnectionRefusedError())._private())


@translating(
    is_postgres_outage, deadline=lambda stuck: stuck.seconds, unbounded=frozenset({"close"})
)
class Stuck:
    """A storage whose server answers nothing, and whose clean-up waits on that server too."""

    seconds = 0.01

    async def read(self) -> int:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.Event().wait()
        return 1

    async def close(self) -> str:
        await asyncio.sleep(self.seconds * 5)
        return "closed"


async def within(seconds: float, call: Awaitable[T]) -> T:
    """`call`'s answer; a hang fails the test rather than stall it."""
    return await asyncio.wait_for(call, seconds)


def test_a_call_past_its_deadline_is_unavailable_without_waiting_for_its_clean_up() -> None:
    with pytest.raises(Unavailable) as raised:
        asyncio.run(within(10, Stuck().read()))
    assert isinstance(raised.value.__cause__, TimeoutError)


def test_a_method_named_unbounded_runs_past_the_deadline() -> None:
    assert asyncio.run(within(10, Stuck().close())) == "closed"
