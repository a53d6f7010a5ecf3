"""The HTML form of a REST representation: a small page a browser can read and walk.

The same fields as the JSON, as a definition list; HAL `_links` become real `<a rel href>`
links, so following them in a browser walks the API. The page is built with lxml, which
escapes every value, rather than with string templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree
from lxml.html import builder as E  # noqa: N812 - lxml's documented name for it

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}"
    "dt{font-weight:600}dd{margin:0 0 .4rem 1.5rem}nav a{margin-right:1rem}"
)


def to_html(heading: str, data: Mapping[str, Any]) -> bytes:
    page = E.HTML(
        E.HEAD(E.META(charset="utf-8"), E.TITLE(heading), E.STYLE(STYLE)),
        E.BODY(E.H1(heading), *_block(data)),
        lang="en",
    )
    return etree.tostring(page, method="html", encoding="utf-8", doctype="<!doctype html>")


def _block(data: Mapping[str, Any]) -> list[etree._Element]:
    """The links of one resource, then its fields."""
    parts: list[etree._Element] = []
    links = data.get("_links")
    if links:
        anchors = [E.A(rel, href=link["href"], rel=rel) for rel, link in links.items()]
        parts.append(E.NAV(*anchors))
    fields = [(key, value) for key, value in data.items() if key != "_links" and value is not None]
    if fields:
        parts.append(E.DL(*[part for key, value in fields for part in _field(key, value)]))
    return parts


def _field(key: str, value: Any) -> tuple[etree._Element, etree._Element]:
    if isinstance(value, list):
        if value and isinstance(value[0], Mapping):
            entries = [E.LI(*_block(item)) for item in value]
            return E.DT(key), E.DD(E.OL(*entries))
        return E.DT(key), E.DD(", ".join(_text(item) for item in value))
    if isinstance(value, Mapping):
        return E.DT(key), E.DD(*_block(value))
    return E.DT(key), E.DD(_text(value))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
