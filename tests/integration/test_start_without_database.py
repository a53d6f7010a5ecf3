"""`rosetta serve` started while its PostgreSQL is out of reach refuses to start, as a
supervisor (systemd, compose) expects: one line on stderr naming the database, never its
password, and the cause; a non-zero exit status; no traceback. Once the database is back, the
same command serves."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence

import httpx
import pytest

from tests.integration.test_database_outage import OUTAGES, Outage
from tests.integration.test_readme import free_port
from tests.integration.test_serve import ROSETTA, rosetta_serve
from tests.postgres import POSTGRES, PostgresServer, create_database, restartable_postgres_server

PASSWORD = "pw-not-for-logs"
# A bound on waiting for the refusal, never measured: a gateway still running then hangs.
START_WAIT = 60.0


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    """A server of this module's own: its tests stop and hang it."""
    POSTGRES.need()
    with restartable_postgres_server() as running:
        yield running


def with_password(url: str) -> str:
    return url.replace("://rosetta@", f"://rosetta:{PASSWORD}@", 1)


# Two workers, where a failed start used to exit with status 0; another framework, which
# opens the database its own way.
SERVE_FLAGS = [("--workers", "2"), ("--framework", "flask")]


def refused_start(
    db: str, flags: Sequence[str] = SERVE_FLAGS[0], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ROSETTA, "serve", "--port", str(free_port()), "--db", db, *flags],
        env=os.environ | (env or {}),
        capture_output=True,
        text=True,
        timeout=START_WAIT,
        check=False,
    )


def assert_refused_clearly(started: subprocess.CompletedProcess[str], db: str, cause: str) -> None:
    assert started.returncode == 1
    assert "Traceback" not in started.stderr, started.stderr
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1, started.stderr
    assert PASSWORD not in lines[0]
    shown = db.replace(PASSWORD, "***")
    assert lines[0] == f"rosetta serve: cannot open the database {shown}: {cause}"


@pytest.mark.parametrize("flags", SERVE_FLAGS, ids=" ".join)
def test_a_port_where_nothing_listens_refuses_the_start(flags: Sequence[str]) -> None:
    db = f"postgresql://rosetta:{PASSWORD}@127.0.0.1:{free_port()}/library"
    assert_refused_clearly(refused_start(db, flags), db, "connection refused")


@pytest.mark.parametrize("outage", OUTAGES, ids=lambda outage: outage.name)
def test_a_server_out_of_reach_refuses_the_start_until_it_is_back(
    server: PostgresServer, outage: Outage
) -> None:
    db = with_password(create_database(server.url))
    env = {} if outage.db_timeout is None else {"ROSETTA_DB_TIMEOUT": f"{outage.db_timeout:g}"}
    with outage.during(server):
        started = refused_start(db, env=env)
    # A stopped server refuses the connection; a hung one takes it and says nothing.
    cause = (
        "connection refused"
        if outage.db_timeout is None
        else f"no answer within {outage.db_timeout:g} s"
    )
    assert_refused_clearly(started, db, cause)
    with rosetta_serve(["--db", db]) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
