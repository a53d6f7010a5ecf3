"""The landing page: links to each protocol's docs."""

from __future__ import annotations

import httpx

from tests.live import LiveGateway


def test_landing_page_links_to_every_protocols_docs(gateway: LiveGateway) -> None:
    page = httpx.get(gateway.url + "/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for target in ("/rest/docs", "/rest/openapi.json", "/soap?wsdl", "/ws/asyncapi.json"):
        assert f'href="{gateway.url}{target}"' in page.text
