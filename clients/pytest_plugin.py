"""A pytest plugin that runs your tests through every protocol of a running Rosetta gateway.

Installing rosetta installs the plugin (entry point `pytest11`, name `rosetta`); `-p no:rosetta`
turns it off. It only acts for tests that ask for its fixtures:

- `all_protocols`: a client of the contract's operations, the test run once per protocol
  (`test_x[rest]`, `test_x[soap]`, `test_x[websocket]`);
- `rosetta_clients`: the three clients at once, `{"rest": ..., "soap": ..., "websocket": ...}`,
  to compare their answers with `clients.testing.assert_same_across_protocols`;
- `rosetta_url`: the gateway under test.

The gateway is `--rosetta-url`, else `ROSETTA_URL`, else http://127.0.0.1:8000. For a gateway
with an API token, give it as `--rosetta-token` or `ROSETTA_API_TOKEN`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from clients.interface import LibraryClient

DEFAULT_URL = "http://127.0.0.1:8000"
PROTOCOLS = ("rest", "soap", "websocket")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rosetta", "Rosetta gateway under test")
    group.addoption(
        "--rosetta-url",
        default=None,
        help=f"base URL of the gateway (default: $ROSETTA_URL or {DEFAULT_URL})",
    )
    group.addoption(
        "--rosetta-token",
        default=None,
        help="API token for changes, if the gateway has one (default: $ROSETTA_API_TOKEN)",
    )


@pytest.fixture(scope="session")
def rosetta_url(pytestconfig: pytest.Config) -> str:
    """The gateway's base URL, checked once: a test should not fail three ways for one reason."""
    import httpx

    from clients.compare.mistakes import path_mistake, url_mistake

    option: str | None = pytestconfig.getoption("rosetta_url")
    url = (option or os.environ.get("ROSETTA_URL") or DEFAULT_URL).rstrip("/")
    named = "--rosetta-url" if option else "ROSETTA_URL"
    mistake = url_mistake(url, named)
    if mistake is not None:
        pytest.fail(str(mistake), pytrace=False)
    try:
        answer = httpx.get(f"{url}/healthz", timeout=10)
        # The status alone: httpx's status errors append a web page to read.
        problem = None if answer.is_success else f"GET /healthz answered {answer.status_code}"
    except httpx.HTTPError as error:
        problem = str(error)  # failed outside this block, so no chained traceback is shown
    if problem is None:
        return url
    mistake = path_mistake(url, healthy=False, option=named)
    pytest.fail(
        str(mistake)
        if mistake is not None
        else f"no Rosetta gateway answers at {url} ({problem}); start one with `rosetta serve`, "
        "or point --rosetta-url (or ROSETTA_URL) at yours",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def rosetta_token(pytestconfig: pytest.Config) -> str | None:
    option: str | None = pytestconfig.getoption("rosetta_token")
    return option or os.environ.get("ROSETTA_API_TOKEN") or None


def connect(protocol: str, url: str, token: str | None) -> LibraryClient:
    """A client of one protocol; imported here so that merely loading the plugin stays cheap."""
    if protocol == "rest":
        from clients.rest import RestClient

        return RestClient(url, token=token)
    if protocol == "soap":
        from clients.soap import SoapClient

        return SoapClient(url, token=token)
    if protocol == "websocket":
        from clients.ws import WsClient

        return WsClient(url, token=token)
    raise ValueError(f"unknown protocol {protocol!r}; choose from {PROTOCOLS}")


@pytest.fixture(params=PROTOCOLS)
def all_protocols(
    request: pytest.FixtureRequest, rosetta_url: str, rosetta_token: str | None
) -> Iterator[LibraryClient]:
    """The test once per protocol, through that protocol's client."""
    client = connect(request.param, rosetta_url, rosetta_token)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def rosetta_clients(
    rosetta_url: str, rosetta_token: str | None
) -> Iterator[dict[str, LibraryClient]]:
    """One client per protocol, by name, for tests that compare answers across protocols."""
    clients: dict[str, LibraryClient] = {}
    try:
        for protocol in PROTOCOLS:
            clients[protocol] = connect(protocol, rosetta_url, rosetta_token)
        yield clients
    finally:
        for client in clients.values():
            client.close()
