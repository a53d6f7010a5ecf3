"""The curl scripts (clients/curl/rest.sh and soap.sh), every operation, against a live gateway."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import API_TOKEN
from tests.live import LiveGateway
from tests.support import fresh_isbn
from tests.system_programs import CURL

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "clients" / "curl"
TNS = "{urn:rosetta:library}"
CURL_HTTP_ERROR = 22  # curl --fail-with-body's exit status for an HTTP error


@pytest.fixture(autouse=True)
def _curl_installed() -> None:
    CURL.need()


def sh(
    script: str, *words: str, gateway: LiveGateway, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "ROSETTA_API_TOKEN"}
    environment["ROSETTA_URL"] = gateway.url
    if token:
        environment["ROSETTA_API_TOKEN"] = token
    return subprocess.run(
        ["bash", str(SCRIPTS / script), *words],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def rest(*words: str, gateway: LiveGateway, status: int = 200, token: str | None = None) -> Any:
    """The JSON answer of rest.sh, after checking the HTTP status it reports on stderr."""
    done = sh("rest.sh", *words, gateway=gateway, token=token)
    assert f"HTTP {status}" in done.stderr
    assert done.returncode == (0 if status < 400 else CURL_HTTP_ERROR), done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def soap(*words: str, gateway: LiveGateway, token: str | None = None) -> etree._Element:
    """The one element in soap.sh's answer Body: the operation's response, or a Fault."""
    done = sh("soap.sh", *words, gateway=gateway, token=token)
    envelope = etree.fromstring(done.stdout.strip().encode())
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None, done.stdout
    answer = body[0]
    is_fault = answer.tag.endswith("}Fault")
    assert done.returncode == (CURL_HTTP_ERROR if is_fault else 0), done.stderr
    assert f"HTTP {500 if is_fault else 200}" in done.stderr  # SOAP 1.1: faults come with 500
    return answer


def text(answer: etree._Element, path: str) -> str:
    return str(answer.findtext(path.replace("lib:", TNS)))


def ids(answer: dict[str, Any]) -> list[str]:
    return [item["id"] for item in answer["items"]]


def test_rest_sh_walks_through_every_operation(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    member = f"Curl {isbn}"
    book = (isbn, 'A "quoted" \\ title', "Ada", "2024-05-17", "12.50", "2")
    added = rest("add_book", *book, gateway=gateway, status=201)
    assert (added["title"], added["price"], added["version"]) == (book[1], "12.50", 1)
    assert rest("get_book", isbn, gateway=gateway)["authors"] == ["Ada"]
    found = rest("list_books", "quoted", "100", gateway=gateway)
    assert isbn in [item["isbn"] for item in found["items"]]
    assert rest("update_book", isbn, "Renamed", "1", gateway=gateway)["version"] == 2
    stale = rest("update_book", isbn, "Lost", "1", gateway=gateway, status=412)
    assert (stale["kind"], stale["current_version"]) == ("version_mismatch", 2)

    loan = rest("borrow_book", isbn, member, gateway=gateway, status=201)
    assert ids(rest("list_loans", member, "open", gateway=gateway)) == [loan["id"]]
    assert rest("return_book", loan["id"], gateway=gateway)["returned_at"].endswith("Z")
    assert ids(rest("list_loans", member, "open", gateway=gateway)) == []
    assert ids(rest("list_loans", member, gateway=gateway)) == [loan["id"]]

    assert rest("remove_book", isbn, gateway=gateway, status=204) is None
    assert rest("get_book", isbn, gateway=gateway, status=404)["kind"] == "not_found"


def test_soap_sh_walks_through_every_operation(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    member = f"Curl {isbn}"
    book = (isbn, "Fish & <Chips>", "Ada", "2024-05-17", "12.50", "2")
    added = soap("add_book", *book, gateway=gateway)
    assert text(added, "lib:book/lib:title") == "Fish & <Chips>"
    assert text(added, "lib:book/lib:authors/lib:author") == "Ada"
    assert text(soap("get_book", isbn, gateway=gateway), "lib:book/lib:price") == "12.50"
    found = soap("list_books", "Chips", "100", gateway=gateway)
    assert isbn in [e.text for e in found.iter(f"{TNS}isbn")]
    assert (
        text(soap("update_book", isbn, "Renamed", "1", gateway=gateway), "lib:book/lib:version")
        == "2"
    )
    stale = soap("update_book", isbn, "Lost", "1", gateway=gateway)
    assert (stale.findtext("detail/kind"), stale.findtext("detail/current_version")) == (
        "version_mismatch",
        "2",
    )

    loan_id = text(soap("borrow_book", isbn, member, gateway=gateway), "lib:loan/lib:id")
    open_loans = soap("list_loans", member, "open", gateway=gateway)
    assert [e.text for e in open_loans.iter(f"{TNS}id")] == [loan_id]
    returned = soap("return_book", loan_id, gateway=gateway)
    assert text(returned, "lib:loan/lib:returned_at").endswith("Z")  # a UTC xs:dateTime
    assert list(soap("list_loans", member, "open", gateway=gateway).iter(f"{TNS}loan")) == []
    assert len(list(soap("list_loans", member, gateway=gateway).iter(f"{TNS}loan"))) == 1

    assert soap("remove_book", isbn, gateway=gateway).tag == f"{TNS}RemoveBookResponse"
    gone = soap("get_book", isbn, gateway=gateway)
    assert str(gone.findtext("faultcode")).endswith("Client.NotFound")
    assert gone.findtext("detail/kind") == "not_found"


@pytest.mark.parametrize("script", ["rest.sh", "soap.sh"])
def test_the_scripts_send_the_api_token(token_gateway: LiveGateway, script: str) -> None:
    """As a bearer token over REST, as a WS-Security UsernameToken in the SOAP envelope."""
    isbn = fresh_isbn()
    book = (isbn, "Guarded", "Ada", "2024-05-17", "1.00", "1")
    refused = sh(script, "add_book", *book, gateway=token_gateway)
    accepted = sh(script, "add_book", *book, gateway=token_gateway, token=API_TOKEN)
    assert refused.returncode == CURL_HTTP_ERROR
    assert "not_allowed" in refused.stdout
    assert accepted.returncode == 0, accepted.stdout
    assert isbn in accepted.stdout


@pytest.mark.parametrize("script", ["rest.sh", "soap.sh"])
def test_the_scripts_explain_their_usage(gateway: LiveGateway, script: str) -> None:
    nothing = sh(script, gateway=gateway)
    short = sh(script, "get_book", gateway=gateway)
    assert nothing.returncode == 2
    assert f"clients/curl/{script} get_book 9780132350884" in nothing.stderr
    assert short.returncode != 0
    assert "usage: get_book ISBN" in short.stderr
