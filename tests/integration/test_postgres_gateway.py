"""The whole gateway on PostgreSQL: every operation through every protocol, same answers."""

from __future__ import annotations

from pathlib import Path

from clients.interface import LibraryClient
from tests.conftest import gateway_settings
from tests.integration.conftest import CLIENTS
from tests.integration.test_cross_protocol import comparable, run_scenario
from tests.live import serve
from tests.postgres import create_database


def test_every_operation_through_every_protocol_on_postgresql(
    postgres: str, tmp_path: Path
) -> None:
    settings = gateway_settings(tmp_path).model_copy(update={"db": create_database(postgres)})
    with serve(settings) as live:
        clients: dict[str, LibraryClient] = {n: make(live.url) for n, make in CLIENTS.items()}
        try:
            assert clients["rest"].list_books(limit=100).total == 13  # the sample books
            results = {name: comparable(run_scenario(c)) for name, c in clients.items()}
        finally:
            for client in clients.values():
                client.close()
    assert results["rest"] == results["soap"] == results["websocket"]
