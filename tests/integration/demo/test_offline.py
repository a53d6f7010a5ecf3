"""The demo and the REST docs need no internet: every asset they load is served here."""

from __future__ import annotations

import re
from importlib import resources

import httpx
import pytest

from tests.live import LiveGateway

# src= and href= values, and url() in styles: whatever a browser would go and fetch.
LOADED = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")
# The SVG namespace is a name, never fetched.
OUTSIDE = re.compile(r"(?:https?|wss?)://(?!www\.w3\.org/2000/svg)\S+")
DEMO_ASSETS = sorted(
    entry.name for entry in (resources.files("demo") / "static").iterdir() if entry.is_file()
)


def loaded_urls(text: str) -> list[str]:
    return [first or second for first, second in LOADED.findall(text)]


def test_the_rest_docs_load_swagger_ui_from_the_gateway(gateway: LiveGateway) -> None:
    page = httpx.get(f"{gateway.rest_url}/docs").text
    urls = loaded_urls(page)
    assert urls, "the docs page loads no asset at all"
    for url in urls:
        assert url.startswith("/rest/docs/assets/"), url
        assert httpx.get(f"{gateway.url}{url}").status_code == 200
    assert "cdn" not in page.lower()


def test_the_demo_page_loads_only_its_own_assets(gateway: LiveGateway) -> None:
    page = httpx.get(f"{gateway.url}/demo").text
    links = {"#results", "/"}  # within the page, and back to the landing page
    for url in set(loaded_urls(page)) - links:
        assert url.startswith("/demo/static/"), url
        assert httpx.get(f"{gateway.url}{url}").status_code == 200


@pytest.mark.parametrize("name", DEMO_ASSETS)
def test_no_demo_asset_names_an_outside_host(gateway: LiveGateway, name: str) -> None:
    answer = httpx.get(f"{gateway.url}/demo/static/{name}")
    assert answer.status_code == 200
    assert OUTSIDE.findall(answer.text) == []
