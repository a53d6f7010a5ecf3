"""`rosetta compare`: exact wire figures, answers compared as domain values, four formats."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
from pathlib import Path

import httpx
import pytest

from clients.compare import scratch as compare_scratch
from clients.compare.charts import plot
from clients.compare.measure import compare
from clients.compare.report import NOT_APPLICABLE, Row, render, rows
from clients.compare.results import PROTOCOLS, Comparison
from clients.equality import normalise
from clients.rest import RestClient
from clients.wire.conversation import traffic
from clients.wire.proxy import WireTap
from rosetta.cli import main
from tests.live import LiveGateway

ISBN = "9780132350884"


@pytest.fixture(scope="module")
def compared(gateway: LiveGateway) -> Comparison:
    return compare(gateway.url, "get_book", {"isbn": ISBN}, runs=2)


def cells(row: Row) -> list[str]:
    return [
        NOT_APPLICABLE if v in (None, "") else f"{v:.1f}" if isinstance(v, float) else str(v)
        for v in row.values
    ]


def expected_rows(comparison: Comparison) -> list[list[str]]:
    return [[row.metric, *cells(row)] for row in rows(comparison)]


def test_the_tap_counts_the_exchange_httpx_saw_byte_for_byte(gateway: LiveGateway) -> None:
    seen: list[httpx.Response] = []
    with WireTap(gateway.url) as tap:
        client = RestClient(tap.url)
        client.http.event_hooks["response"].append(lambda response: seen.append(response))
        start = tap.position()
        client.get_book(ISBN)
        counted = traffic(tap.since(start))
        client.close()

    response = seen[0]
    response.read()
    request = response.request
    target = request.url.raw_path.decode()
    sent = f"{request.method} {target} HTTP/1.1\r\n".encode() + _header_bytes(request.headers)
    received = (
        f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n".encode()
        + _header_bytes(response.headers)
        + response.content
    )
    assert (counted.sent, counted.received) == (len(sent), len(received))
    assert (counted.round_trips, counted.connections) == (1, 1)
    assert counted.content == len(response.content)


def test_one_time_costs_are_apart_from_the_calls(
    compared: Comparison, gateway: LiveGateway
) -> None:
    rest, soap, ws = (compared.measurements[p] for p in PROTOCOLS)

    assert [m.connections for m in (rest, soap, ws)] == [1, 1, 1]
    assert rest.wsdl_fetch is None
    assert rest.handshake is None
    assert soap.wsdl_fetch is not None
    assert soap.wsdl_fetch.round_trips == 1
    # The WSDL names the address it was fetched from: through the tap, the tap's port.
    wsdl = httpx.get(gateway.wsdl_url).content
    addresses = wsdl.count(gateway.url.removeprefix("http://").encode())
    assert abs(soap.wsdl_fetch.content - len(wsdl)) <= 5 * addresses
    assert ws.handshake is not None
    assert ws.handshake.round_trips == 1
    assert ws.handshake.content == 0  # a handshake is all headers
    for each in (rest, soap, ws):
        assert each.first.round_trips == each.repeat.round_trips == 1
        assert each.repeat_connections == 0
    assert (soap.first_round_trips, ws.first_round_trips, rest.first_round_trips) == (2, 2, 1)
    assert ws.closing.sent > 0
    assert rest.closing.sent == rest.closing.received == 0


def test_the_same_answer_through_three_protocols_is_equal(compared: Comparison) -> None:
    assert compared.equal
    assert compared.differences == {}
    answers = [compared.measurements[p].answer for p in PROTOCOLS]
    assert answers[0]["title"] == "Clean Code"
    assert answers[0] == answers[1] == answers[2]


def test_an_error_answer_compares_by_its_kind(gateway: LiveGateway) -> None:
    found = compare(gateway.url, "get_book", {"isbn": "9780000000002"}, runs=1, weights=False)

    assert found.equal
    assert {m.answer["error"] for m in found.measurements.values()} == {"not_found"}


def test_a_real_difference_is_caught_and_shown(
    gateway: LiveGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each protocol really wrote its own scratch book: unmask the ISBN and they differ.
    monkeypatch.setitem(compare_scratch.MASKED, "add_book", ("updated_at",))

    found = compare(gateway.url, "add_book", {}, runs=1, weights=False)

    assert not found.equal
    assert set(found.differences) == {"soap", "websocket"}
    rest_isbn = found.measurements["rest"].answer["isbn"]
    ws_isbn = found.measurements["websocket"].answer["isbn"]
    assert f'-  "isbn": "{rest_isbn}",' in found.differences["websocket"]
    assert f'+  "isbn": "{ws_isbn}",' in found.differences["websocket"]
    table = render(found, "table")
    assert "WebSocket answered differently from REST:" in table
    assert f'+  "isbn": "{ws_isbn}",' in table
    assert "```diff" in render(found, "markdown")
    same_row = next(r for r in rows(found) if r.section == "answer" and r.metric.startswith("same"))
    assert same_row.values == ("baseline", "no", "no")


def test_a_difference_makes_the_command_exit_3(
    gateway: LiveGateway, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(compare_scratch.MASKED, "add_book", ("updated_at",))

    with pytest.raises(SystemExit) as exit_:
        main(["compare", "add_book", "--runs", "1", "--format", "json", "--url", gateway.url])

    assert exit_.value.code == 3
    assert json.loads(capsys.readouterr().out)["equal"] is False


def test_writes_run_on_scratch_books_that_are_gone_afterwards(gateway: LiveGateway) -> None:
    rest = RestClient(gateway.url)
    before = rest.list_books(limit=1).total
    original = normalise(rest.get_book(ISBN))

    found = compare(
        gateway.url,
        "update_book",
        {"isbn": ISBN, "price": "41.00", "tags": ["craft"]},
        runs=2,
        weights=False,
    )

    assert found.equal
    assert found.scratch
    answer = found.measurements["soap"].answer
    assert (answer["title"], answer["price"], answer["tags"], answer["version"]) == (
        "Clean Code",
        "41.00",
        ["craft"],
        2,
    )
    assert answer["isbn"] != ISBN
    assert rest.list_books(limit=1).total == before
    assert normalise(rest.get_book(ISBN)) == original
    rest.close()


def test_a_scratch_loan_is_borrowed_and_returned(gateway: LiveGateway) -> None:
    found = compare(gateway.url, "return_book", {}, runs=1, weights=False)

    assert found.equal
    answer = found.measurements["websocket"].answer
    assert answer["member"] == compare_scratch.SCRATCH_MEMBER
    assert answer["returned_at"] is not None
    rest = RestClient(gateway.url)
    assert rest.list_loans(member=compare_scratch.SCRATCH_MEMBER, open_only=True) == []
    rest.close()


def test_the_json_format_parses_back(compared: Comparison) -> None:
    data = json.loads(render(compared, "json"))

    assert data["call"] == f"get_book isbn={ISBN}"
    assert data["equal"] is True
    for protocol in PROTOCOLS:
        measured = compared.measurements[protocol]
        assert data["measurements"][protocol]["repeat"]["sent"] == measured.repeat.sent
        assert len(data["measurements"][protocol]["warm_ms"]) == compared.runs
        latency = data["measurements"][protocol]["latency_ms"]
        assert latency["repeat_p50"] == measured.warm_p50
    assert data["weights"]["soap"]["imports"] == ["zeep"]


def test_the_csv_format_parses_back(compared: Comparison) -> None:
    parsed = list(csv.reader(io.StringIO(render(compared, "csv"))))

    assert parsed[0] == ["operation", "section", "metric", *PROTOCOLS]
    expected = [
        ["get_book", r.section, r.metric, *("" if v is None else str(v) for v in r.values)]
        for r in rows(compared)
    ]
    assert parsed[1:] == expected


def test_the_markdown_format_parses_back(compared: Comparison) -> None:
    text = render(compared, "markdown")
    table = [line for line in text.splitlines() if line.startswith("|")]

    assert table[0] == "| | REST | SOAP | WebSocket |"
    parsed = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in table[2:]
        if not line.startswith("| **")
    ]
    assert parsed == expected_rows(compared)
    sections = [line.split("**")[1] for line in table if line.startswith("| **")]
    assert sections == list(dict.fromkeys(r.section for r in rows(compared)))


def test_the_table_format_parses_back(compared: Comparison) -> None:
    text = render(compared, "table")
    lines = text.splitlines()

    assert lines[0].startswith(f"get_book isbn={ISBN}: REST, SOAP and WebSocket")
    assert re.split(r"\s{2,}", lines[2].strip()) == ["REST", "SOAP", "WebSocket"]
    body = [line for line in lines[3:] if line.startswith("  ") and line.strip()]
    parsed = [re.split(r"\s{2,}", line.strip()) for line in body]
    assert parsed == expected_rows(compared)
    assert all(len(line) <= 120 for line in lines)


def test_the_chart_is_a_16_by_9_png(compared: Comparison, tmp_path: Path) -> None:
    path = plot(compared, tmp_path / "chart.png")

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1920, 1080)


def test_the_client_weights_are_measured(compared: Comparison) -> None:
    weights = compared.weights

    assert [weights[p].imports for p in PROTOCOLS] == [("httpx",), ("zeep",), ("websockets",)]
    assert weights["websocket"].packages == ("websockets",)
    assert "lxml" in weights["soap"].packages
    for weight in weights.values():
        assert weight.lines_of_code > 20
        assert weight.import_ms > 0


def _header_bytes(headers: httpx.Headers) -> bytes:
    lines = b"".join(name + b": " + value + b"\r\n" for name, value in headers.raw)
    return lines + b"\r\n"
