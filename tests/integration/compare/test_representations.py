"""`rosetta compare ... --representations`: one REST read in every format, bytes and equality."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from clients.compare.representations import _json_leaves, _xml_leaves, compare_representations
from clients.rest import RestClient
from tests.live import LiveGateway
from tests.support import book_fields

ISBN = "9780132350884"
ROSETTA = str(Path(sys.executable).parent / "rosetta")


def rosetta(*words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ROSETTA, *words], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_command_prints_each_format_with_its_bytes(gateway: LiveGateway) -> None:
    done = rosetta("compare", "get_book", f"isbn={ISBN}", "--representations", "--url", gateway.url)
    assert done.returncode == 0, done.stderr
    rows = {line.split(" | ")[0].strip("| "): line for line in done.stdout.splitlines()}
    assert rows["application/json"].endswith("| baseline |")
    assert rows["application/xml"].endswith("| yes |")
    assert {"text/html", "text/plain"} <= set(rows)
    json_bytes = len(httpx.get(f"{gateway.rest_url}/books/{ISBN}").content)
    assert f"| application/json | {json_bytes} |" in done.stdout


def test_lists_of_loans_with_booleans_and_nulls_compare_equal(gateway: LiveGateway) -> None:
    client = RestClient(gateway.url)
    try:
        book = client.add_book(**book_fields())
        client.borrow_book(book.isbn, "ada")
    finally:
        client.close()
    found = compare_representations(gateway.url, "list_loans", {"isbn": book.isbn})
    assert found.path == f"/rest/loans?isbn={book.isbn}"
    assert found.equal
    assert [r.media_type for r in found.found][:2] == ["application/json", "application/xml"]


def test_a_value_that_differs_between_json_and_xml_is_caught(gateway: LiveGateway) -> None:
    url = f"{gateway.rest_url}/books/{ISBN}"
    as_json = httpx.get(url).json()
    as_xml = httpx.get(url, headers={"Accept": "application/xml"}).content
    assert dict(_json_leaves(as_json)) == dict(_xml_leaves(as_xml))
    changed = as_xml.replace(b"<price>37.99</price>", b"<price>38.00</price>")
    assert dict(_json_leaves(as_json)) != dict(_xml_leaves(changed))


def test_changes_are_refused_as_a_command_line_mistake(gateway: LiveGateway) -> None:
    done = rosetta(
        "compare", "remove_book", f"isbn={ISBN}", "--representations", "--url", gateway.url
    )
    assert done.returncode == 2
    assert "remove_book is a change" in done.stderr
