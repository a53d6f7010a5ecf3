"""The XML form of a REST representation: the same fields as the JSON, element by element.

Lists become a wrapper element with one child per entry (`<authors><author>`), HAL `_links`
become Atom-style `<link rel="..." href="..."/>` elements, and null fields are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

PROBLEM_NAMESPACE = "urn:ietf:rfc:7807"
"""The namespace RFC 9457 (appendix B) gives problem details in XML."""

ITEM_NAMES: Mapping[str, str] = {"authors": "author", "tags": "tag"}


@dataclass(frozen=True, slots=True)
class Shape:
    """How one kind of representation is named: its XML root, its list entries, and the field
    whose value heads its HTML and text forms."""

    root: str
    item: str | None = None
    headline: str | None = None

    def heading(self, data: Mapping[str, Any]) -> str:
        value = data.get(self.headline) if self.headline else None
        return f"{self.root}: {value}" if value is not None else self.root


BOOK = Shape("book", headline="title")
LOAN = Shape("loan", headline="id")
BOOK_PAGE = Shape("books", "book")
LOAN_LIST = Shape("loans", "loan")
ENTRY_POINT = Shape("api", headline="service")

# XML 1.0 cannot carry these characters at all, not even escaped; JSON can.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def shaped_xml(shape: Shape, data: Mapping[str, Any]) -> bytes:
    """A representation of that shape in XML: a list's entries named after its items."""
    names = {**ITEM_NAMES, "items": shape.item} if shape.item else ITEM_NAMES
    return to_xml(shape.root, data, names)


def to_xml(
    root: str,
    data: Mapping[str, Any],
    item_names: Mapping[str, str] = ITEM_NAMES,
    namespace: str | None = None,
) -> bytes:
    tag = _tagger(namespace)
    # lxml's stubs omit the None key that declares a default namespace.
    nsmap: Any = {None: namespace} if namespace else None
    element = etree.Element(tag(root), nsmap=nsmap)
    _fill(element, data, item_names, tag)
    return etree.tostring(element, xml_declaration=True, encoding="utf-8")


Tagger = Callable[[str], str]


def _tagger(namespace: str | None) -> Tagger:
    if namespace is None:
        return lambda name: name
    return lambda name: f"{{{namespace}}}{name}"


def _fill(
    element: etree._Element, data: Mapping[str, Any], item_names: Mapping[str, str], tag: Tagger
) -> None:
    for key, value in data.items():
        if value is None:
            continue
        if key == "_links":
            for rel, link in value.items():
                etree.SubElement(element, tag("link"), rel=rel, href=link["href"])
        elif isinstance(value, Mapping):
            _fill(etree.SubElement(element, tag(key)), value, item_names, tag)
        elif isinstance(value, list):
            wrapper = etree.SubElement(element, tag(key))
            for item in value:
                child = etree.SubElement(wrapper, tag(item_names[key]))
                if isinstance(item, Mapping):
                    _fill(child, item, item_names, tag)
                else:
                    child.text = _text(item)
        else:
            etree.SubElement(element, tag(key)).text = _text(value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return _NOT_XML.sub("\ufffd", text)
