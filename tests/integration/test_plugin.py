"""The pytest plugin as a user meets it: installed, run by pytest on a test file of theirs.

Each example runs in a pytest of its own (a subprocess in a scratch folder), so it sees the
plugin exactly as a project that installed rosetta does: through the `pytest11` entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from textwrap import dedent

import pytest

from clients.compare.mistakes import path_mistake, url_mistake
from clients.interface import LibraryClient
from clients.testing import ProtocolsDisagree, answers_from, assert_same_across_protocols
from tests.conftest import API_TOKEN
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn

PASSING = """
from clients.testing import answers_from, assert_same_across_protocols


def test_clean_code(all_protocols):
    assert all_protocols.get_book("9780132350884").title == "Clean Code"


def test_the_same_page_everywhere(rosetta_clients):
    answers = answers_from(rosetta_clients, lambda client: client.list_books(q="design"))
    assert_same_across_protocols(answers)
"""

# A real difference: the book changes between the reads of the three protocols.
FAILING = """
from clients.testing import assert_same_across_protocols

ISBN = "{isbn}"


def test_reads_between_writes(rosetta_clients):
    rest = rosetta_clients["rest"]
    rest.add_book(isbn=ISBN, title="Moving", authors=["Ada"], published="2024-05-17",
                  price="10.00", copies=1)
    answers = {{}}
    for price, (name, client) in zip(["11.00", "12.00", "13.00"], rosetta_clients.items()):
        answers[name] = client.get_book(ISBN)
        rest.update_book(ISBN, price=price)
    assert_same_across_protocols(answers, ignore=["updated_at"])
"""


WRITING = """
from clients.testing import fresh_isbn


def test_add_a_book(all_protocols):
    book = all_protocols.add_book(isbn=fresh_isbn(), title="Guarded", authors=["Ada"],
                                  published="2024-05-17", price="1.00", copies=1)
    assert book.version == 1
"""


# Plugins of this environment that a user's project need not have; they only slow each run.
UNRELATED_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:cacheprovider")


def pytest_run(
    folder: Path, source: str, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    (folder / "test_example.py").write_text(dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-v", *UNRELATED_PLUGINS, *options],
        cwd=folder,
        env=env or {k: v for k, v in os.environ.items() if not k.startswith("ROSETTA_")},
        capture_output=True,
        text=True,
        timeout=100,  # under the suite's own 120 s per test
        check=False,
    )


def test_installing_rosetta_registers_the_plugin(pytestconfig: pytest.Config) -> None:
    found = [e for e in entry_points(group="pytest11") if e.name == "rosetta"]
    assert [e.value for e in found] == ["clients.pytest_plugin"]
    assert pytestconfig.pluginmanager.has_plugin("rosetta")  # and this suite runs with it


def test_all_protocols_runs_a_test_once_per_protocol(gateway: LiveGateway, tmp_path: Path) -> None:
    done = pytest_run(tmp_path, PASSING, f"--rosetta-url={gateway.url}")
    assert done.returncode == 0, done.stdout
    for protocol in ("rest", "soap", "websocket"):
        assert f"test_clean_code[{protocol}] PASSED" in done.stdout
    assert "test_the_same_page_everywhere PASSED" in done.stdout
    assert "4 passed" in done.stdout


def test_a_real_difference_fails_with_a_readable_diff(gateway: LiveGateway, tmp_path: Path) -> None:
    done = pytest_run(tmp_path, FAILING.format(isbn=fresh_isbn()), f"--rosetta-url={gateway.url}")
    assert done.returncode == 1
    assert "1 failed" in done.stdout
    assert "ProtocolsDisagree: soap, websocket answered differently from rest" in done.stdout
    assert "(masked: updated_at)" in done.stdout
    for line in ("--- rest", "+++ soap", '-  "price": "10.00",', '+  "price": "11.00",'):
        assert line in done.stdout
    assert '+  "price": "12.00",' in done.stdout  # websocket's diff, after soap's
    assert '-  "version": 1' in done.stdout


def test_no_gateway_is_one_clear_error(tmp_path: Path) -> None:
    done = pytest_run(tmp_path, PASSING, "--rosetta-url=http://127.0.0.1:9")
    assert done.returncode == 1
    assert "no Rosetta gateway answers at http://127.0.0.1:9" in done.stdout
    assert "The above exception" not in done.stdout  # the message alone, no chained traceback
    assert "4 errors" in done.stdout


@pytest.mark.parametrize("mistake", ["protocol path", "websocket", "no scheme"])
def test_a_url_that_is_not_the_gateway_root_gets_its_fix(
    gateway: LiveGateway, tmp_path: Path, mistake: str
) -> None:
    url = {
        "protocol path": f"{gateway.url}/rest",
        "websocket": gateway.url.replace("http", "ws", 1) + "/ws",
        "no scheme": gateway.url.removeprefix("http://"),
    }[mistake]
    done = pytest_run(tmp_path, PASSING, f"--rosetta-url={url}")
    assert done.returncode == 1
    assert "4 errors" in done.stdout
    advice = url_mistake(url, "--rosetta-url") or path_mistake(url, False, "--rosetta-url")
    assert advice is not None
    assert str(advice) in done.stdout
    assert gateway.url in str(advice)  # the fix names the root to write
    assert "developer.mozilla.org" not in done.stdout


def test_the_plugin_can_be_turned_off(gateway: LiveGateway, tmp_path: Path) -> None:
    done = pytest_run(tmp_path, PASSING, "-p", "no:rosetta")
    assert done.returncode != 0
    assert "fixture 'all_protocols' not found" in done.stdout


def test_the_url_may_come_from_the_environment_and_the_token_from_an_option(
    token_gateway: LiveGateway, tmp_path: Path
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ROSETTA_")}
    environment["ROSETTA_URL"] = token_gateway.url
    done = pytest_run(tmp_path, WRITING, f"--rosetta-token={API_TOKEN}", env=environment)
    assert done.returncode == 0, done.stdout
    assert "3 passed" in done.stdout  # changes, on a gateway that refuses them without the token


def test_assert_same_across_protocols_catches_a_change_between_reads(
    all_clients: dict[str, LibraryClient],
) -> None:
    isbn = all_clients["rest"].add_book(**book_fields()).isbn
    answers = answers_from(all_clients, lambda client: client.get_book(isbn))
    assert_same_across_protocols(answers)  # four clients, one book

    all_clients["soap"].update_book(isbn, title="Changed in between")
    answers["websocket"] = all_clients["websocket"].get_book(isbn)
    with pytest.raises(ProtocolsDisagree) as disagree:
        assert_same_across_protocols(answers, ignore=["updated_at"])
    assert list(disagree.value.diffs) == ["websocket"]
    assert '-  "title": "Protocols in Practice",' in disagree.value.diffs["websocket"]
    assert '+  "title": "Changed in between",' in disagree.value.diffs["websocket"]
    assert '"updated_at": "*"' in disagree.value.diffs["websocket"]  # masked, so no line of diff
    assert "updated_at" not in "".join(
        line for line in disagree.value.diffs["websocket"].splitlines() if line[:1] in "+-"
    )


def test_error_answers_compare_by_kind(all_clients: dict[str, LibraryClient]) -> None:
    """Each protocol words its errors its own way; the kind is what must agree."""
    missing = fresh_isbn()
    answers = answers_from(all_clients, lambda client: client.get_book(missing))
    assert list(answers.values()) == [{"error": "not_found"}] * len(all_clients)
    assert_same_across_protocols(answers)


def test_one_answer_is_not_a_comparison() -> None:
    with pytest.raises(ValueError, match="two protocols or more"):
        assert_same_across_protocols({"rest": 1})
