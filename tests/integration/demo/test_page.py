"""/demo's JSON API on a live gateway: the form's contract, the client files, and runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from clients.rest import RestClient
from gateway.json_models import BookIn
from tests.conftest import API_TOKEN
from tests.live import LiveGateway

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_ISBN = "9780132350884"


def run(gateway: LiveGateway, body: object, **options: Any) -> httpx.Response:
    return httpx.post(f"{gateway.url}/demo/api/run", json=body, timeout=90, **options)


def by_protocol(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {each["protocol"]: each for each in result["results"]}


def test_the_page_is_served_with_its_script(gateway: LiveGateway) -> None:
    page = httpx.get(f"{gateway.url}/demo")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/demo/static/demo.js">' in page.text
    script = httpx.get(f"{gateway.url}/demo/static/demo.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_the_landing_page_links_to_the_demo(gateway: LiveGateway) -> None:
    assert f'href="{gateway.url}/demo"' in httpx.get(f"{gateway.url}/").text


def test_the_form_offers_the_contracts_operations_with_their_fields(gateway: LiveGateway) -> None:
    contract = httpx.get(f"{gateway.url}/demo/api/operations").json()
    assert contract["token_required"] is False
    operations = {each["name"]: each for each in contract["operations"]}
    assert list(operations) == [
        "list_books",
        "get_book",
        "add_book",
        "update_book",
        "remove_book",
        "borrow_book",
        "return_book",
        "list_loans",
        "get_loan",
    ]
    add_book = {field["name"]: field for field in operations["add_book"]["fields"]}
    assert set(add_book) == set(BookIn.model_fields)
    assert add_book["authors"]["kind"] == "list"
    assert add_book["published"]["kind"] == "date"
    assert add_book["copies"]["kind"] == "integer"
    assert add_book["isbn"]["set_by_demo"]
    assert operations["add_book"]["change"] is True
    assert operations["get_book"]["change"] is False
    limit = next(f for f in operations["list_books"]["fields"] if f["name"] == "limit")
    assert limit["limits"] == {"minimum": 1, "maximum": 100}
    assert limit["default"] == 20


def test_the_code_panel_serves_the_client_files_as_they_are_on_disk(gateway: LiveGateway) -> None:
    files = httpx.get(f"{gateway.url}/demo/api/clients").json()["files"]
    paths = [each["path"] for each in files]
    assert {"clients/rest.py", "clients/soap.py", "clients/ws.py"} <= set(paths)
    for each in files:
        assert each["source"] == (ROOT / each["path"]).read_text()


def test_a_read_runs_through_the_three_clients_and_shows_the_wire(gateway: LiveGateway) -> None:
    answer = run(gateway, {"operation": "get_book", "params": {"isbn": SAMPLE_ISBN}})
    assert answer.status_code == 200
    result = answer.json()
    assert result["agree"] is True
    assert result["masked"] == []
    rest, soap, ws = (by_protocol(result)[p] for p in ("rest", "soap", "websocket"))
    for each in (rest, soap, ws):
        assert each["ok"] is True
        assert each["answer"]["title"] == "Clean Code"
        call = [m for m in each["messages"] if m["phase"] == "call"]
        assert [m["direction"] for m in call] == ["sent", "received"]
        assert sum(m["size"] for m in call) == each["call"]["sent"] + each["call"]["received"]
    assert rest["messages"][0]["title"] == f"GET /rest/books/{SAMPLE_ISBN} HTTP/1.1"
    assert rest["messages"][0]["raw"].startswith(f"GET /rest/books/{SAMPLE_ISBN} HTTP/1.1\r\n")
    wsdl, _, post, reply = soap["messages"]
    assert (wsdl["phase"], wsdl["title"]) == ("setup", "GET /soap?wsdl HTTP/1.1")
    assert ["SOAPAction", '"GetBook"'] in post["headers"]
    assert "<soap11env:Envelope" in reply["body"]
    handshake, switched, call, result_frame = ws["messages"]
    assert handshake["title"] == "GET /ws HTTP/1.1"
    assert switched["title"].startswith("HTTP/1.1 101")
    assert call["kind"] == "frame"
    assert '"method": "get_book"' in call["body"]
    assert '"title": "Clean Code"' in result_frame["body"]


def test_a_change_runs_on_scratch_copies_and_leaves_the_book_alone(gateway: LiveGateway) -> None:
    before = httpx.get(f"{gateway.rest_url}/books/{SAMPLE_ISBN}").json()
    params = {"isbn": SAMPLE_ISBN, "price": "1.50"}
    result = run(gateway, {"operation": "update_book", "params": params}).json()
    assert result["agree"] is True
    assert "isbn" in result["masked"]
    targets = {each["target"] for each in result["results"]}
    assert len(targets) == 3
    assert SAMPLE_ISBN not in targets
    assert targets == set(result["scratch"])
    for each in result["results"]:
        assert each["answer"]["price"] == "1.50"
        assert each["answer"]["title"] == before["title"]
    after = httpx.get(f"{gateway.rest_url}/books/{SAMPLE_ISBN}").json()
    assert after["version"] == before["version"]
    for isbn in targets:
        assert httpx.get(f"{gateway.rest_url}/books/{isbn}").status_code == 404


def test_a_wrong_value_is_refused_by_each_protocol_its_own_way(gateway: LiveGateway) -> None:
    params = {"isbn": SAMPLE_ISBN, "price": "cheap"}
    result = run(gateway, {"operation": "update_book", "params": params}).json()
    assert result["agree"] is True  # the same kind of error, three ways
    rest, soap, ws = (by_protocol(result)[p] for p in ("rest", "soap", "websocket"))
    for each in (rest, soap, ws):
        assert each["ok"] is False
        assert each["error"]["kind"] == "invalid_input"
    # The status code, not the reason phrase: Python 3.13 renamed 422's "Unprocessable Content".
    assert rest["messages"][-1]["title"].split(" ")[:2] == ["HTTP/1.1", "422"]
    assert "Client.InvalidInput" in soap["messages"][-1]["body"]
    assert "-32602" in ws["messages"][-1]["body"]


def test_return_book_returns_a_loan_the_demo_opened(gateway: LiveGateway) -> None:
    result = run(gateway, {"operation": "return_book"}).json()
    assert result["agree"] is True
    for each in result["results"]:
        assert each["ok"] is True
        assert each["answer"]["returned_at"] is not None


def test_get_loan_reads_one_loan_the_demo_opened_and_cleans_up(gateway: LiveGateway) -> None:
    result = run(gateway, {"operation": "get_loan"}).json()
    assert result["agree"] is True
    answers = [each["answer"] for each in result["results"]]
    assert all(each["ok"] for each in result["results"])
    assert answers[0]["id"] == answers[1]["id"] == answers[2]["id"]
    assert httpx.get(f"{gateway.rest_url}/books/{answers[0]['isbn']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"operation": "drop_tables"}, "operation"),
        ({"operation": "get_book", "params": ["9780132350884"]}, "params"),
        ({"operation": "get_book", "params": {"isbm": SAMPLE_ISBN}}, "params.isbm"),
        ({"operation": "add_book", "params": {"isbn": SAMPLE_ISBN}}, "params.isbn"),
        ({"operation": "get_book", "extra": 1}, "extra"),
        ({"operation": "get_book", "token": 7}, "token"),
        (["get_book"], "body"),
    ],
)
def test_a_malformed_run_request_is_a_problem(
    gateway: LiveGateway, body: object, field: str
) -> None:
    answer = run(gateway, body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["kind"] == "invalid_input"
    assert field in [error["field"] for error in problem["errors"]]


def test_a_body_that_is_not_json_is_a_problem(gateway: LiveGateway) -> None:
    answer = httpx.post(f"{gateway.url}/demo/api/run", content=b"get_book please")
    assert answer.status_code == 422
    assert answer.json()["kind"] == "invalid_input"


def test_a_body_over_the_limit_is_refused(gateway: LiveGateway) -> None:
    big = {"operation": "list_books", "params": {"q": "x" * (gateway.settings.max_body + 1)}}
    answer = run(gateway, big)
    assert answer.status_code == 413
    assert answer.json()["kind"] == "invalid_input"


def test_a_change_of_a_missing_book_says_not_found(gateway: LiveGateway) -> None:
    answer = run(gateway, {"operation": "remove_book", "params": {"isbn": "9780000000002"}})
    assert answer.status_code == 404
    assert answer.json()["kind"] == "not_found"


def test_with_a_token_reads_need_none_and_changes_need_it(token_gateway: LiveGateway) -> None:
    contract = httpx.get(f"{token_gateway.url}/demo/api/operations").json()
    assert contract["token_required"] is True
    read = run(token_gateway, {"operation": "get_book", "params": {"isbn": SAMPLE_ISBN}})
    assert read.status_code == 200
    assert read.json()["agree"] is True
    change = {"operation": "update_book", "params": {"isbn": SAMPLE_ISBN, "copies": 5}}
    # Without the token, or with a wrong one, each protocol shows its own refusal.
    for refused in (change, {**change, "token": "wrong"}):
        answer = run(token_gateway, refused)
        assert answer.status_code == 200
        assert answer.json()["scratch"] == []
        assert [each["error"]["kind"] for each in answer.json()["results"]] == ["not_allowed"] * 3
    allowed = run(token_gateway, {**change, "token": API_TOKEN})
    assert allowed.status_code == 200
    assert all(each["answer"]["copies"] == 5 for each in allowed.json()["results"])
    client = RestClient(token_gateway.url)
    try:
        assert client.get_book(SAMPLE_ISBN).copies != 5
    finally:
        client.close()
