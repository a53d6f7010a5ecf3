"""SOAP envelopes from hypothesis: the endpoint answers every one, and never with a Server fault.

SOAP 1.1 sends every fault with HTTP 500, so "no 5xx" reads here as: every answer is a SOAP 1.1
envelope, either an operation's response (200) or a fault whose code blames the client
(`Client.*`, or the specification's own `VersionMismatch` and `MustUnderstand`), with the domain
error kind in its <detail>. A `Server` fault is a bug; so is an answer that does not come
within the timeout. ISBNs, loan ids and versions are drawn mostly from what earlier answers
showed to exist (tests/integration/fuzz/ledger.py), so that every change also succeeds, and its
response is checked against the WSDL's types.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.soap.operations import Library
from tests.conftest import gateway_settings
from tests.integration.fuzz.ledger import Ledger, seed_calls
from tests.live import LiveGateway, serve
from tests.support import fresh_isbn

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
TNS = "urn:rosetta:library"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
XSD = "http://www.w3.org/2001/XMLSchema"
TIMEOUT = 10.0  # seconds: an answer slower than this is a hang
MAX_BODY = 64 * 1024  # small, so that the fuzzer reaches the limit cheaply
CLIENT_KINDS = {"invalid_input", "not_found", "conflict", "version_mismatch", "not_allowed"}
SPEC_CODES = {"VersionMismatch", "MustUnderstand"}  # SOAP 1.1's own codes, kind invalid_input

# Each operation's parameters, in WSDL order, read from the service itself: a new operation or
# parameter is fuzzed too. Lists are wrapped, their items named as the singular.
OPERATIONS: dict[str, tuple[str, ...]] = {
    name: tuple(method.in_message._type_info) for name, method in Library.public_methods.items()
}
LIST_ITEMS = {"authors": "author", "tags": "tag"}
ISBNS = [fresh_isbn() for _ in range(3)]  # few, so that adds, borrows and removes meet

# Values at the edges of each XSD type and domain rule, and beyond them.
EDGE_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "101",
    "2147483648",
    "-2147483649",
    "99999999999999999999999",
    "1e3",
    "NaN",
    "INF",
    "0.001",
    "999999999.99",
    "1000000000.00",
    "-0.00",
    "true",
    "2024-02-30",
    "0000-01-01",
    "2024-05-17T10:00:00Z",
    "eur",
    "XXX",
    "EURO",
    "978-0-13-235088-4",
    "9780132350885",
    "979",
    "x" * 301,
    "\u00e9\u00e8\u4e2d\u6587\U0001f4da",
    "a\u200bb",
]
# Characters XML 1.0 can carry, in the main; raw text may hold anything, markup included.
xml_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)
raw_text = st.text(max_size=20)
# Words with spaces between, never around: a value of spaces alone is blank, and so refused.
word = st.text(st.characters(codec="ascii", categories=("L", "Nd")), min_size=1, max_size=10)
words = st.lists(word, min_size=1, max_size=3).map(" ".join)

# Plausible values, so that most envelopes reach the domain and go past its first check;
# isbn, loan_id and expected_version come from the run's Ledger instead.
VALID: dict[str, st.SearchStrategy[str]] = {
    "title": words,
    "author": words,
    "tag": words,
    "q": words,
    "member": words,
    "published": st.dates().map(str),
    "price": st.decimals(0, 1000, places=2).map(str),
    "currency": st.sampled_from(["EUR", "USD", "GBP"]),
    "copies": st.integers(0, 5).map(str),
    "limit": st.integers(1, 100).map(str),
    "offset": st.integers(0, 10).map(str),
    "open_only": st.sampled_from(["true", "false", "1", "0"]),
}


@dataclass
class Damage:
    """How often the parts of one envelope are damaged: never, now and then, or often."""

    draw: st.DrawFn
    odds: int  # one decision in `odds` damages its part; 0 damages none
    ledger: Ledger
    operation: str = ""  # the operation whose parameters are being drawn
    drawn: dict[str, str] = field(default_factory=dict)  # its parameters drawn so far

    def now(self) -> bool:
        return self.odds > 0 and self.draw(st.integers(0, self.odds - 1)) == 0

    def choose(self, usual: str, others: list[str]) -> str:
        return self.draw(st.sampled_from(others)) if self.now() else usual

    def value(self, name: str) -> str:
        if self.now():
            return self.draw(st.one_of(st.sampled_from(EDGE_VALUES), xml_text))
        if name == "isbn":
            value = self.ledger.isbn(self.draw, self.operation)
        elif name == "loan_id":
            value = self.ledger.loan_id(self.draw)
        elif name == "expected_version":
            value = str(self.ledger.expected_version(self.draw, self.drawn.get("isbn")))
        else:
            value = self.draw(VALID.get(name, xml_text))
        self.drawn[name] = value
        return value


def parameter(damage: Damage, name: str) -> str:
    """One parameter element: a value, or now and then an empty, nil, nested or raw one."""
    tag = f"l:{name}"
    shape = damage.choose("text", ["empty", "nil", "nested", "raw", "attr", "wrapped"])
    if name in LIST_ITEMS and shape == "text":
        item = LIST_ITEMS[name]
        # Whole lists have the one to three entries every list field takes; damaged ones may
        # be empty or long.
        count = damage.draw(st.integers(0, 25) if damage.now() else st.integers(1, 3))
        inner = "".join(f"<l:{item}>{escape(damage.value(item))}</l:{item}>" for _ in range(count))
        return f"<{tag}>{inner}</{tag}>"
    text = damage.value(name)
    if shape == "empty":
        return f"<{tag}/>"
    if shape == "nil":
        return f'<{tag} xsi:nil="true"/>'
    if shape == "nested":
        depth = damage.draw(st.sampled_from([1, 2, 10, 100, 300, 1000]))
        return f"<{tag}>{'<l:x>' * depth}{escape(text)}{'</l:x>' * depth}</{tag}>"
    if shape == "raw":
        return f"<{tag}>{damage.draw(raw_text)}</{tag}>"
    if shape == "attr":
        return f"<{tag} l:extra={quoteattr(text)}>{escape(text)}</{tag}>"
    if shape == "wrapped":
        return f"<{tag}><l:item>{escape(text)}</l:item></{tag}>"
    return f"<{tag}>{escape(text)}</{tag}>"


def operation(damage: Damage) -> str:
    """An operation element; now and then a parameter is missing, repeated, unknown or moved."""
    name = damage.ledger.operation(damage.draw, OPERATIONS)
    damage.operation, damage.drawn = name, {}
    names = [n for n in OPERATIONS[name] if not damage.now()]
    if damage.now():
        extra = st.sampled_from(["isbn", "unknown", "copies", "Isbn"])
        names += damage.draw(st.lists(extra, min_size=1, max_size=2))
    if damage.now():
        names = damage.draw(st.permutations(names))
    parameters = "".join(parameter(damage, n) for n in names)
    prefix = damage.choose("l", ["s", "other"])
    element = damage.choose(name, [name.lower(), f"{name}Response", "Nope"])
    return f"<{prefix}:{element}>{parameters}</{prefix}:{element}>"


HEADERS = [
    "<s:Header/>",
    "<s:Header><l:Unknown>1</l:Unknown></s:Header>",
    '<s:Header><l:Unknown s:mustUnderstand="1">1</l:Unknown></s:Header>',
    '<s:Header><l:Unknown s:mustUnderstand="0">1</l:Unknown></s:Header>',
]
DECLARATIONS = [
    '<?xml version="1.0"?>',
    '<?xml version="1.0" encoding="utf-8"?>',
    '<?xml version="1.0" encoding="UTF-16"?>',
    '<?xml version="1.1"?>',
]


@st.composite
def envelope(draw: st.DrawFn, ledger: Ledger) -> bytes:
    # Most envelopes are whole, so that they reach the domain; the rest are damaged a little
    # or a lot. Shrinking goes towards the first choice: a failure shrinks to its least damage.
    damage = Damage(draw, draw(st.sampled_from([0, 0, 0, 40, 12, 4])), ledger)
    body = "".join(operation(damage) for _ in range(int(damage.choose("1", ["0", "2"]))))
    header = damage.choose("", HEADERS)
    namespace = damage.choose(SOAP11, [SOAP12, TNS, "urn:other"])
    text = (
        f'{damage.choose("", DECLARATIONS)}<s:Envelope xmlns:s="{namespace}" xmlns:l="{TNS}" '
        f'xmlns:other="urn:other" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{header}<s:Body>{body}</s:Body></s:Envelope>"
    )
    encoded = text.encode("utf-8", errors="surrogatepass")
    if damage.now():
        return encoded[: draw(st.integers(0, len(encoded) - 1))]
    if damage.now() and damage.now():
        return encoded + b" " * MAX_BODY  # over the body limit
    return encoded


OTHER_CONTENT_TYPES = [
    "text/xml",
    "text/xml; charset=latin-1",
    "text/xml; charset=nonsense",
    "application/soap+xml",
    "application/xml",
    "application/json",
    "text/plain",
    None,
]
content_types = st.integers(0, 7).flatmap(
    lambda n: st.just("text/xml; charset=utf-8") if n else st.sampled_from(OTHER_CONTENT_TYPES)
)
soap_actions = st.sampled_from([None, '""', '"GetBook"', '"AddBook"', "nonsense", '"urn:x#Y"'])


@pytest.fixture(scope="module")
def soap_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway of its own, since the envelopes add and remove books, with a small body limit."""
    settings = gateway_settings(tmp_path_factory.mktemp("fuzz-soap"), max_body=MAX_BODY)
    with serve(settings) as live:
        yield live


@pytest.fixture(scope="module")
def wsdl_types(soap_gateway: LiveGateway) -> etree.XMLSchema:
    """The XSD inside the WSDL, which every operation's response must satisfy."""
    wsdl = etree.fromstring(httpx.get(soap_gateway.wsdl_url, timeout=TIMEOUT).content)
    found = wsdl.find(f"{{{WSDL}}}types/{{{XSD}}}schema")
    assert found is not None
    # Serialised alone, the schema keeps the WSDL's namespace declarations, which the QNames
    # in its attribute values (type="tns:Isbn") need; a copy of the element would drop them.
    return etree.XMLSchema(etree.fromstring(etree.tostring(found)))


@pytest.fixture(scope="module")
def http(soap_gateway: LiveGateway) -> Iterator[httpx.Client]:
    """One keep-alive client for every example, as a real SOAP client would hold."""
    with httpx.Client(base_url=soap_gateway.url, timeout=TIMEOUT) as client:
        yield client


def post(
    http: httpx.Client,
    types: etree.XMLSchema,
    body: bytes,
    content_type: str | None,
    action: str | None,
    ledger: Ledger | None = None,
) -> None:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if action is not None:
        headers["SOAPAction"] = action
    answer = http.post("/soap", content=body, headers=headers)
    content = check_answer(answer, types, wrong_type(content_type), len(body) > MAX_BODY)
    if ledger is not None and content is not None:
        record(ledger, content, body)


def record(ledger: Ledger, response: etree._Element, request: bytes) -> None:
    """What an operation's response shows to exist, for the envelopes still to come."""
    operation = etree.QName(response).localname.removesuffix("Response")
    ledger.succeeded(operation)
    for element in response.iter():
        if element.find(f"{{{TNS}}}version") is not None:
            ledger.book(
                element.findtext(f"{{{TNS}}}isbn") or "",
                int(element.findtext(f"{{{TNS}}}version") or 0),
                int(element.findtext(f"{{{TNS}}}available") or 0),
            )
        elif element.find(f"{{{TNS}}}borrowed_at") is not None:
            ledger.loan(
                element.findtext(f"{{{TNS}}}id") or "",
                element.findtext(f"{{{TNS}}}isbn") or "",
                returned=bool(element.findtext(f"{{{TNS}}}returned_at")),
            )
    if operation == "RemoveBook":  # its response is empty: the request names the book
        removed = etree.fromstring(request).findtext(f".//{{{TNS}}}RemoveBook/{{{TNS}}}isbn")
        ledger.removed(removed or "")


def whole_envelope(operation: str, fields: dict[str, object]) -> bytes:
    """The envelope a well-behaved client sends: `add_book` with its fields, as AddBook."""
    name = "".join(part.title() for part in operation.split("_"))
    parameters = ""
    for key, value in fields.items():
        items = value if isinstance(value, list) else None
        inner = (
            "".join(f"<l:{LIST_ITEMS[key]}>{escape(item)}</l:{LIST_ITEMS[key]}>" for item in items)
            if items is not None
            else escape(str(value))
        )
        parameters += f"<l:{key}>{inner}</l:{key}>"
    text = (
        f'<s:Envelope xmlns:s="{SOAP11}" xmlns:l="{TNS}"><s:Body>'
        f"<l:{name}>{parameters}</l:{name}></s:Body></s:Envelope>"
    )
    return text.encode()


def wrong_type(content_type: str | None) -> bool:
    """Whether the endpoint refuses the Content-Type: anything but text/xml, or none."""
    return content_type is not None and content_type.partition(";")[0] != "text/xml"


def check_answer(
    answer: httpx.Response, types: etree.XMLSchema, wrong_type: bool, too_large: bool
) -> etree._Element | None:
    """A SOAP 1.1 envelope: a response with 200 (returned), else a fault that blames the client."""
    # 415 for a wrong Content-Type (WS-I BP R1115), before the body is read; then 413.
    expected = 415 if wrong_type else 413 if too_large else None
    if expected is not None:
        assert answer.status_code == expected, answer.text
    else:
        assert answer.status_code in {200, 500}, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(answer.content)
    assert root.tag == f"{{{SOAP11}}}Envelope", answer.text
    body = root.find(f"{{{SOAP11}}}Body")
    assert body is not None, answer.text
    assert len(body) == 1, answer.text
    [content] = body
    # Shown by `pytest --hypothesis-show-statistics`: how deep the envelopes got.
    if currently_in_test_context():  # not for the envelopes that seed a run
        event(f"{answer.status_code} {content.findtext('faultcode') or content.tag}")
    if answer.status_code == 200:
        assert content.tag.startswith(f"{{{TNS}}}"), answer.text
        assert content.tag.endswith("Response"), answer.text
        assert types.validate(copy.deepcopy(content)), f"{types.error_log}\n{answer.text}"
        return content
    assert content.tag == f"{{{SOAP11}}}Fault", answer.text
    code = (content.findtext("faultcode") or "").rpartition(":")[2]
    assert code.startswith("Client.") or code in SPEC_CODES, answer.text
    assert content.findtext("detail/kind") in CLIENT_KINDS, answer.text
    assert "Traceback" not in answer.text
    return None


FUZZ = settings(
    max_examples=1500,  # enough for every change to succeed many times over (ledger.py)
    deadline=None,
    database=None,
    print_blob=True,
    # Envelopes are large by design; building them is not what is measured.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_every_envelope_gets_a_response_or_a_client_fault(
    http: httpx.Client, wsdl_types: etree.XMLSchema
) -> None:
    ledger = Ledger(ISBNS)
    for operation, fields in seed_calls(ISBNS[0]):
        post(http, wsdl_types, whole_envelope(operation, fields), "text/xml", None, ledger)
    assert ledger.successes["borrow_book"] == 2, ledger.successes
    ledger.successes.clear()  # the statistics count the fuzzer's own successes only

    @FUZZ
    @given(body=envelope(ledger), content_type=content_types, action=soap_actions)
    def answered(body: bytes, content_type: str | None, action: str | None) -> None:
        post(http, wsdl_types, body, content_type, action, ledger)

    answered()
    # The statistics of the run: every change reached its success path at least once.
    assert not ledger.missing_successes(), f"never succeeded: {ledger.successes}"


@settings(FUZZ, max_examples=200)
@given(body=st.binary(max_size=2000))
def test_random_bytes_get_a_client_fault(
    http: httpx.Client, wsdl_types: etree.XMLSchema, body: bytes
) -> None:
    post(http, wsdl_types, body, "text/xml; charset=utf-8", None)


@settings(FUZZ, max_examples=200)
@given(text=st.text(max_size=500))
def test_random_text_gets_a_client_fault(
    http: httpx.Client, wsdl_types: etree.XMLSchema, text: str
) -> None:
    post(http, wsdl_types, text.encode("utf-8", errors="surrogatepass"), "text/xml", None)


def test_the_endpoint_still_serves_after_the_fuzzing(http: httpx.Client) -> None:
    """Runs after the fuzzing tests above (pytest keeps file order): nothing was left broken."""
    body = whole_envelope("list_books", {"limit": 1})
    answer = http.post("/soap", content=body, headers={"Content-Type": "text/xml"})
    assert answer.status_code == 200, answer.text
    assert b"ListBooksResponse" in answer.content
