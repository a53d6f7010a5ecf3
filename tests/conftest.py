from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.settings import Settings
from tests.live import LiveGateway, serve
from tests.postgres import POSTGRES, postgres_server


def gateway_settings(directory: Path, **overrides: object) -> Settings:
    return Settings(
        db=str(directory / "rosetta.db"),
        event_poll_interval=0.1,
        log_level="warning",
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """One shared gateway with the sample books; tests that change data use fresh ISBNs."""
    with serve(gateway_settings(tmp_path_factory.mktemp("gateway"))) as live:
        yield live


@pytest.fixture(scope="session")
def token_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway whose changes need the API token `s3cret-token`."""
    settings = gateway_settings(tmp_path_factory.mktemp("token"), api_token="s3cret-token")
    with serve(settings) as live:
        yield live


API_TOKEN = "s3cret-token"


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A PostgreSQL server URL (without database) for the session, where one is installed."""
    POSTGRES.need()
    with postgres_server() as url:
        yield url
