"""The API token: compared in constant time on every protocol, and explained where users look.

The README's token examples (its `bash` blocks) run here against a gateway with a token.
"""

from __future__ import annotations

import hmac
import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pytest
import zeep
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from tests.conftest import API_TOKEN, gateway_settings
from tests.integration.test_readme import ROOT, blocks, environment, localised
from tests.integration.ws.support import rpc
from tests.live import LiveGateway, serve
from tests.support import book_fields
from tests.system_programs import CURL

WRONG = "not-the-token"
TIMEOUT = 10.0


def rest_change(gateway: LiveGateway) -> None:
    answer = httpx.post(
        f"{gateway.rest_url}/books",
        json=book_fields(),
        headers={"Authorization": f"Bearer {WRONG}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 403


def soap_change(gateway: LiveGateway) -> None:
    with (
        zeep.Client(gateway.wsdl_url, wsse=UsernameToken("ada", WRONG)) as client,
        pytest.raises(Fault) as refused,
    ):
        client.service.RemoveBook(isbn="9780132350884")
    assert refused.value.code == "soap11env:Client.NotAllowed"


def websocket_change(gateway: LiveGateway) -> None:
    with rpc(gateway, f"?token={WRONG}") as ws:
        assert ws.error("remove_book", {"isbn": "9780132350884"})["code"] == -32003


CHANGES: dict[str, Callable[[LiveGateway], None]] = {
    "rest": rest_change,
    "soap": soap_change,
    "websocket": websocket_change,
}


@pytest.mark.parametrize("protocol", sorted(CHANGES))
def test_every_protocol_compares_the_token_in_constant_time(
    token_gateway: LiveGateway, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[object, object]] = []
    constant_time = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return constant_time(a, b)

    # The gateway runs in this process, so its comparisons are seen here.
    monkeypatch.setattr(hmac, "compare_digest", spy)
    CHANGES[protocol](token_gateway)
    assert (WRONG.encode(), API_TOKEN.encode()) in compared


def test_the_landing_page_explains_the_token_when_one_is_set(
    token_gateway: LiveGateway, gateway: LiveGateway
) -> None:
    page = httpx.get(token_gateway.url, timeout=TIMEOUT).text
    for way in ("Authorization: Bearer", "UsernameToken", "?token=", "bearer, TOKEN"):
        assert way in page
    assert "Authorization: Bearer" not in httpx.get(gateway.url, timeout=TIMEOUT).text


@pytest.fixture(scope="module")
def readme_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway of its own: the README's examples borrow books."""
    settings = gateway_settings(tmp_path_factory.mktemp("readme-token"), api_token=API_TOKEN)
    with serve(settings) as live:
        yield live


def test_the_readme_shows_the_token_on_every_protocol() -> None:
    examples = "\n".join(blocks("bash"))
    for protocol in ("/rest/", "/soap", "clients.ws"):
        assert protocol in examples
    assert "UsernameToken" in examples


@pytest.mark.parametrize("index", range(len(blocks("bash"))))
def test_readme_token_example_runs(readme_gateway: LiveGateway, index: int) -> None:
    command = localised(blocks("bash")[index], readme_gateway).replace(
        ".venv/bin/python", sys.executable
    )
    if command.startswith("curl"):
        CURL.need()
    env = environment(readme_gateway) | {"ROSETTA_API_TOKEN": API_TOKEN}
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ada" in done.stdout  # the loan's member: the change was made
    assert "not_allowed" not in done.stdout
    assert "NotAllowed" not in done.stdout
