"""Each client file runs as a script: `python -m clients.rest get_book 978...`, and `watch`."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest

from clients.arguments import usage
from clients.command_line import CHANGES_ADVICE
from clients.rest import RestClient
from services.operations import OPERATIONS
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["clients.rest", "clients.soap", "clients.ws", "clients.raw_soap"]
WAIT = 30.0  # seconds before a silent subprocess fails the test; never asserted on


def run(module: str, *words: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *words],
        cwd=ROOT,
        env=os.environ | {"ROSETTA_URL": url},
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )


@pytest.mark.parametrize("module", MODULES)
def test_a_script_adds_and_reads_a_book(gateway: LiveGateway, module: str) -> None:
    isbn = fresh_isbn()
    added = run(
        module,
        "add_book",
        f"isbn={isbn}",  # digits, yet an ISBN stays text
        "title=Scripts",
        'authors=["Ada Lovelace"]',
        "published=2024-05-17",
        "price=12.50",  # a price stays text too: "12.50", not the float 12.5
        "copies=2",
        url=gateway.url,
    )
    assert added.returncode == 0, added.stderr
    read = run(module, "get_book", isbn, url=gateway.url)
    assert read.returncode == 0, read.stderr
    book = json.loads(read.stdout)
    assert book == json.loads(added.stdout)
    assert (book["isbn"], book["price"], book["copies"]) == (isbn, "12.50", 2)


@pytest.mark.parametrize("module", MODULES)
def test_a_script_reports_an_error_answer_by_kind(gateway: LiveGateway, module: str) -> None:
    done = run(module, "get_book", fresh_isbn(), url=gateway.url)
    assert done.returncode == 1
    assert "kind not_found" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("module", MODULES)
def test_a_change_refused_for_want_of_the_token_says_where_it_goes(
    token_gateway: LiveGateway, module: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "ROSETTA_API_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", module, "remove_book", "9780000000002"],
        cwd=ROOT,
        env=environment | {"ROSETTA_URL": token_gateway.url},
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 1
    assert "kind not_allowed" in done.stderr
    assert done.stderr.endswith(f"; {CHANGES_ADVICE}\n")
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("module", MODULES)
def test_a_script_without_a_gateway_says_so(module: str) -> None:
    done = run(module, "get_book", "9780132350884", url="http://127.0.0.1:9")  # discard port
    assert done.returncode == 1
    assert "cannot reach the gateway at http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("module", MODULES)
def test_a_script_lists_its_operations_and_their_keys_on_help(module: str) -> None:
    done = run(module, "--help", url="http://127.0.0.1:9")  # no gateway needed
    assert done.returncode == 0
    assert f"usage: python -m {module} OPERATION" in done.stdout
    for operation in OPERATIONS.values():
        assert f"  {usage(operation)}\n" in done.stdout
    assert ("watch [PATTERN ...]" in done.stdout) == (module == "clients.ws")


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ((), "python -m clients.rest: name an operation; --help lists them with their keys"),
        (("fly_away",), "unknown operation 'fly_away'; choose one of: list_books, get_book,"),
        (("get_book",), "get_book needs isbn; usage: get_book isbn=..."),
        (("borrow_book", "9780132350884"), "borrow_book needs member; usage: borrow_book isbn="),
        (("get_book", "isbn=1", "colour=red"), "get_book takes no 'colour'; its keys: isbn"),
        (("list_books", "limit=five"), "limit must be a whole number, not 'five'; e.g. limit=5"),
    ],
)
def test_a_wrong_command_line_gets_one_line_and_status_2(
    words: tuple[str, ...], message: str
) -> None:
    done = run("clients.rest", *words, url="http://127.0.0.1:9")  # refused before any call
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.splitlines()) == 1


def pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    """Moves the stream's lines to a queue, so that a test can wait for one with a deadline."""
    for line in stream:
        lines.put(line)


def test_watch_prints_the_event_of_a_change_made_over_rest(gateway: LiveGateway) -> None:
    command = [sys.executable, "-m", "clients.ws", "watch", "book.*"]
    environment = os.environ | {"ROSETTA_URL": gateway.url}
    with subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True
    ) as watcher:
        assert watcher.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=pump, args=(watcher.stdout, lines), daemon=True)
        reader.start()
        try:
            assert lines.get(timeout=WAIT).startswith("subscribed to ['book.*']")
            isbn = fresh_isbn()
            rest = RestClient(gateway.url)
            try:
                rest.add_book(**book_fields(isbn=isbn, title="Watched"))
            finally:
                rest.close()
            event: dict[str, Any] = {}
            while event.get("data", {}).get("isbn") != isbn:
                event = json.loads(lines.get(timeout=WAIT))
            assert (event["type"], event["data"]["title"]) == ("book.added", "Watched")
        finally:
            watcher.send_signal(signal.SIGINT)  # Ctrl-C: how a user stops watching
            try:
                watcher.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                watcher.kill()
                raise
            reader.join(timeout=WAIT)
    assert watcher.returncode == 0


def test_watch_refuses_a_pattern_that_matches_no_event(gateway: LiveGateway) -> None:
    done = run("clients.ws", "watch", "bok.*", url=gateway.url)
    assert done.returncode == 1
    assert "kind invalid_input" in done.stderr
    assert "Traceback" not in done.stderr
