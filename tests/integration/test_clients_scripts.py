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

from clients.command_line import bind
from clients.rest import RestClient
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
def test_a_script_without_a_gateway_says_so(module: str) -> None:
    done = run(module, "get_book", "9780132350884", url="http://127.0.0.1:9")  # discard port
    assert done.returncode == 1
    assert "cannot reach the gateway at http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_script_explains_its_usage(gateway: LiveGateway) -> None:
    nothing = run("clients.rest", url=gateway.url)
    unknown = run("clients.rest", "fly_away", url=gateway.url)
    short = run("clients.rest", "borrow_book", "9780132350884", url=gateway.url)
    assert nothing.returncode == unknown.returncode == 2
    assert "usage: python -m clients.rest OPERATION" in nothing.stdout
    assert "unknown operation 'fly_away'" in unknown.stderr
    assert "list_books, get_book, add_book" in unknown.stdout
    assert short.returncode == 1
    assert "usage: borrow_book isbn member" in short.stderr


def test_arguments_of_text_fields_stay_text() -> None:
    client = RestClient("http://127.0.0.1:9")
    try:
        assert bind(client.list_books, ["q=1984", "limit=5"]) == {"q": "1984", "limit": 5}
        assert bind(client.list_loans, ["open_only=true"]) == {"open_only": True}
        assert bind(client.add_book, ["price=9.90", "copies=2", 'tags=["a"]']) == {
            "price": "9.90",
            "copies": 2,
            "tags": ["a"],
        }
        assert bind(client.update_book, ["9780132350884", "expected_version=3"]) == {
            "isbn": "9780132350884",
            "expected_version": 3,
        }
    finally:
        client.close()


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
