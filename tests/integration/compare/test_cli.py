"""`rosetta compare` on the command line: a token for changes, and mistakes that get a message
and an exit status, never a traceback. (The README's commands, --all among them, run in
test_compare_readme.py.)"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from clients.arguments import usage
from clients.equality import normalise
from clients.rest import RestClient
from rosetta.cli import main
from services.isbn import normalize_isbn
from services.operations import OPERATIONS
from services.sample_data import SAMPLE_BOOKS
from tests.conftest import API_TOKEN
from tests.live import LiveGateway
from tests.support import book_fields

ROSETTA = str(Path(sys.executable).parent / "rosetta")


def run(*words: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [ROSETTA, *words], capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout, done.stderr


def sample_books(client: RestClient) -> list[object]:
    isbns = [normalize_isbn(book["isbn"]) for book in SAMPLE_BOOKS]
    return [normalise(client.get_book(isbn)) for isbn in isbns if isbn]


def test_changes_on_a_gateway_with_a_token_need_the_token(
    token_gateway: LiveGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    words = ["compare", "borrow_book", "--runs", "1", "--url", token_gateway.url]

    main([*words, "--token", API_TOKEN, "--format", "csv"])
    assert "same domain values as REST,baseline,yes,yes" in capsys.readouterr().out

    with pytest.raises(SystemExit) as refused:
        main(words)
    assert refused.value.code == 2
    assert "--token TOKEN or set ROSETTA_API_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ([], "name an operation to compare, or use --all"),
        (["get_bok"], "unknown operation 'get_bok'; choose one of: list_books, get_book"),
        (["get_book", "isbn=1", "colour=red"], "get_book takes no 'colour'"),
        (["list_books", "limit=ten"], "limit must be a whole number, not 'ten'"),
        (["list_loans", "open_only=maybe"], "open_only must be true or false"),
        (["return_book", "loan_id=abc"], "give no loan_id"),
        (["get_book", "--all"], "--all compares every operation"),
        (["get_book"], "get_book needs isbn; usage: get_book isbn=..."),
        (["get_loan", "member=ada"], "get_loan takes no 'member'; its keys: loan_id"),
    ],
)
def test_a_wrong_command_line_gets_exit_status_2(
    gateway: LiveGateway, capsys: pytest.CaptureFixture[str], words: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["compare", *words, "--runs", "1", "--url", gateway.url])

    assert refused.value.code == 2
    assert message in capsys.readouterr().err


def test_get_loan_is_compared_on_a_scratch_loan_that_is_cleaned_up(
    gateway: LiveGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    rest = RestClient(gateway.url)
    try:
        open_before = len(rest.list_loans(member="rosetta-compare", open_only=True))
        main(["compare", "get_loan", "--runs", "1", "--format", "csv", "--url", gateway.url])
        assert "same domain values as REST,baseline,yes,yes" in capsys.readouterr().out
        assert len(rest.list_loans(member="rosetta-compare", open_only=True)) == open_before
    finally:
        rest.close()


def test_get_loan_compares_the_loan_it_is_given(
    gateway: LiveGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    rest = RestClient(gateway.url)
    try:
        book = rest.add_book(**book_fields())
        loan = rest.borrow_book(book.isbn, "ada")
        words = ["get_loan", f"loan_id={loan.id}", "--runs", "1", "--format", "csv"]
        main(["compare", *words, "--url", gateway.url])
        assert "same domain values as REST,baseline,yes,yes" in capsys.readouterr().out
        rest.return_book(loan.id)
    finally:
        rest.close()


def test_rosetta_alone_names_its_commands_with_an_example_each() -> None:
    status, out, _ = run()

    assert status == 2
    assert "usage: rosetta" in out
    for example in (
        "rosetta serve --port 8000",
        "rosetta call rest get_book isbn=9780132350884",
        "rosetta compare get_book isbn=9780132350884 --runs 5",
    ):
        assert example in out


@pytest.mark.parametrize("command", ["call", "compare"])
def test_help_lists_every_operation_with_its_keys(command: str) -> None:
    status, out, _ = run(command, "--help")

    assert status == 0
    assert f"usage: rosetta {command}" in out
    for operation in OPERATIONS.values():
        assert f"  {usage(operation)}\n" in out


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--runs", "0"], "must be 1 or more"), (["--plot", "chart.jpg"], "is not a .png file")],
)
def test_a_wrong_flag_is_named(
    capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["compare", "get_book", *flags])

    assert refused.value.code == 2
    assert message in capsys.readouterr().err


def test_a_missing_book_to_copy_is_named(
    gateway: LiveGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["compare", "remove_book", "isbn=9780000000002", "--url", gateway.url])

    assert refused.value.code == 1
    assert "cannot prepare the scratch book: not_found" in capsys.readouterr().err


def test_a_gateway_that_is_not_there_gets_a_message_not_a_traceback() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    status, out, err = run("compare", "get_book", "isbn=1", "--url", f"http://127.0.0.1:{port}")

    assert status == 1
    assert f"cannot reach a Rosetta gateway at http://127.0.0.1:{port}" in err
    assert "Traceback" not in err
    assert out == ""


def test_an_https_gateway_cannot_be_tapped() -> None:
    for command in ("call rest get_book --wire", "compare get_book"):
        status, _, err = run(
            *command.split()[:3], "isbn=1", *command.split()[3:], "--url", "https://127.0.0.1:9"
        )

        assert status == 1
        assert "is not an http:// URL" in err
        assert "Traceback" not in err
