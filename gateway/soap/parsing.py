"""Reading a SOAP request's XML: no DTD, no entity, no network, bounded depth, plain words.

WS-I Basic Profile 1.1 (R1008) forbids a DOCTYPE in a SOAP envelope, and a DTD is where
entity bombs (billion laughs, quadratic blow-up) and external entities live. A DOCTYPE is
refused before the parser reads it; the parser itself resolves no entity, loads no DTD,
opens no network connection, and keeps libxml2's limits on depth and node size.

A refusal says what is wrong in words for the caller, with the line and column, never the
libxml2 message (which names parser internals such as XML_PARSE_HUGE). What is logged of the
offending body is its first `LOGGED_BYTES` bytes.
"""

from __future__ import annotations

import logging
import threading
from typing import Final

from lxml import etree

from gateway.soap import faults as soap_faults
from gateway.soap.faults import KindFault

log = logging.getLogger(__name__)

LOGGED_BYTES: Final = 512
DTD_REFUSED = "a SOAP message must not contain a DTD (<!DOCTYPE>); WS-I Basic Profile R1008"
_UTF16_STARTS = (
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)
_E = etree.ErrorTypes
_WHY: Final[dict[int, str]] = {
    _E.ERR_DOCUMENT_EMPTY: "no element where the document should start",
    _E.ERR_UNDECLARED_ENTITY: "it uses an entity; only &lt; &gt; &amp; &quot; &apos; and "
    "character references such as &#233; are allowed",
    _E.WAR_UNDECLARED_ENTITY: "it uses an entity; only &lt; &gt; &amp; &quot; &apos; and "
    "character references such as &#233; are allowed",
    _E.ERR_NAME_REQUIRED: "a name is missing: in text, write < as &lt; and & as &amp;",
    _E.ERR_TAG_NAME_MISMATCH: "an end tag does not match its start tag, or the document stops "
    "before its elements are closed",
    _E.ERR_TAG_NOT_FINISHED: "the document stops before its elements are closed",
    _E.ERR_LTSLASH_REQUIRED: "an end tag is missing",
    _E.ERR_GT_REQUIRED: "a tag does not end with >, or the document stops inside it",
    _E.ERR_ATTRIBUTE_NOT_STARTED: "an attribute value is not in quotes",
    _E.ERR_ATTRIBUTE_NOT_FINISHED: "an attribute value is not closed by its quote",
    _E.ERR_DOCUMENT_END: "there is content after the end of the root element",
    _E.ERR_RESOURCE_LIMIT: "it goes beyond the parser's safety limits, such as elements "
    "nested more than 256 deep",
    _E.ERR_INVALID_ENCODING: "its bytes are not in its encoding (UTF-8 unless the XML "
    "declaration names another)",
    _E.ERR_UNSUPPORTED_ENCODING: "its XML declaration names an encoding this server cannot read",
    _E.ERR_UNKNOWN_ENCODING: "its XML declaration names an encoding this server cannot read",
    _E.ERR_INVALID_CHAR: "it holds a character that XML does not allow",
    _E.ERR_ATTRIBUTE_REDEFINED: "an element has the same attribute twice",
    _E.NS_ERR_UNDEFINED_NAMESPACE: "a namespace prefix is used without being declared",
}
_parsers = threading.local()  # an lxml parser is used by one thread at a time


def parse_envelope(data: bytes) -> tuple[etree._Element, dict[str, etree._Element]]:
    """The document's root and its xml:id map, as spyne expects them; a fault otherwise."""
    if declares_dtd(data):
        raise refusal(DTD_REFUSED, data)
    try:
        root, ids = etree.XMLID(data, parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position
        code: int = getattr(error, "code", 0)  # lxml-stubs leave out ParseError.code
        why = _WHY.get(code, "it breaks the XML syntax")
        raise refusal(
            f"the request is not well-formed XML: {why} (line {line}, column {column})", data
        ) from None
    if root.getroottree().docinfo.doctype:  # an encoding the scan above cannot read
        raise refusal(DTD_REFUSED, data)
    return root, ids


def parser() -> etree.XMLParser:
    made: etree.XMLParser | None = getattr(_parsers, "parser", None)
    if made is None:
        made = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            dtd_validation=False,
            attribute_defaults=False,
            # What spyne's own parser drops, so that spyne reads the same tree.
            remove_comments=True,
            remove_pis=True,
            strip_cdata=True,
        )
        _parsers.parser = made
    return made


def declares_dtd(data: bytes) -> bool:
    """Whether a DOCTYPE comes before the root element, found without parsing the DTD."""
    text = _prolog_text(data)
    at = 0
    # Steps over the XML declaration, processing instructions, comments and spaces that may
    # come before a DOCTYPE; each step jumps to a fixed terminator, so the walk is linear.
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if text.startswith("<!DOCTYPE", at):
            return True
        if text.startswith("<?", at):
            end = text.find("?>", at)
        elif text.startswith("<!--", at):
            end = text.find("-->", at)
        else:
            return False
        if end < 0:
            return False
        at = end + 1


def _prolog_text(data: bytes) -> str:
    for start, encoding in _UTF16_STARTS:
        if data.startswith(start):
            return data.decode(encoding, "replace").removeprefix("\ufeff")
    # Every other encoding XML allows writes its markup in ASCII, which latin-1 keeps as is.
    return data.removeprefix(b"\xef\xbb\xbf").decode("latin-1")


def refusal(message: str, data: bytes) -> KindFault:
    log.debug(
        "refused a SOAP request: %s; its first %d of %d bytes: %r",
        message,
        min(len(data), LOGGED_BYTES),
        len(data),
        data[:LOGGED_BYTES],
    )
    return soap_faults.invalid_input(message)
