"""The API token: compared in constant time on every protocol, and explained where users look.

The README's token examples run in tests/integration/test_readme_setup.py, against a gateway
they start with a token, as a reader does.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

import httpx
import pytest
import zeep
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from tests.conftest import API_TOKEN
from tests.integration.test_readme import blocks
from tests.integration.ws.support import rpc
from tests.live import LiveGateway
from tests.support import book_fields

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


def test_the_readme_shows_the_token_on_every_protocol() -> None:
    examples = "\n".join(blocks("bash"))
    for protocol in ("/rest/", "/soap", "clients.ws"):
        assert protocol in examples
    assert "UsernameToken" in examples
