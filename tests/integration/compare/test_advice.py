"""Mistakes that show only once the gateway is asked get one line that says what to type
instead, and exit status 2: a `--url` that is not the gateway's root, a missing token."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clients.compare.call import run_call
from tests.live import LiveGateway

ISBN = "9780132350884"
ROSETTA = str(Path(sys.executable).parent / "rosetta")


def call(
    url: str, protocol: str, operation: str, *words: str, wire: bool = False
) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_call(url, protocol, operation, list(words), wire=wire, out=out, err=err)
    assert out.getvalue() == ""
    return status, err.getvalue()


@pytest.mark.parametrize("path", ["/rest", "/soap/", "/ws", "/rest/books"])
def test_a_protocol_path_in_the_url_is_named_to_drop(gateway: LiveGateway, path: str) -> None:
    status, err = call(f"{gateway.url}{path}", "rest", "get_book", f"isbn={ISBN}")
    assert status == 2
    expected = f"drop {path.rstrip('/')}: --url takes the gateway's root, e.g. {gateway.url}"
    assert err == f"rosetta call: {expected}\n"


@pytest.mark.parametrize("wire", [False, True], ids=["plain", "wire"])
def test_a_websocket_url_is_turned_into_the_gateway_root(gateway: LiveGateway, wire: bool) -> None:
    ws_url = gateway.url.replace("http", "ws", 1) + "/ws"
    status, err = call(ws_url, "ws", "get_book", f"isbn={ISBN}", wire=wire)
    assert status == 2
    assert f"--url {ws_url} is a WebSocket URL" in err
    assert f"e.g. {gateway.url} " in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("wire", [False, True], ids=["plain", "wire"])
def test_a_url_without_a_scheme_gets_one(gateway: LiveGateway, wire: bool) -> None:
    bare = gateway.url.removeprefix("http://")
    status, err = call(bare, "soap", "get_book", f"isbn={ISBN}", wire=wire)
    assert (status, err) == (
        2,
        f"rosetta call: --url {bare} has no scheme: write it {gateway.url}\n",
    )


def test_nothing_listening_is_no_command_line_mistake(gateway: LiveGateway) -> None:
    status, err = call("http://127.0.0.1:9", "rest", "get_book", f"isbn={ISBN}")
    assert status == 1
    assert "start one with `rosetta serve`" in err
    assert "developer.mozilla.org" not in err


@pytest.mark.parametrize("protocol", ["rest", "soap", "ws"])
def test_a_change_refused_for_want_of_the_token_says_where_it_goes(
    token_gateway: LiveGateway, protocol: str
) -> None:
    status, err = call(token_gateway.url, protocol, "remove_book", "isbn=9780000000002")
    assert status == 2
    assert err.startswith("rosetta call: ")
    assert err.endswith(
        ": pass the gateway's API token with --token TOKEN or set ROSETTA_API_TOKEN\n"
    )
    assert len(err.splitlines()) == 1


def test_compare_gives_the_same_advice(gateway: LiveGateway, token_gateway: LiveGateway) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ROSETTA_")}
    wrong_url = subprocess.run(
        [ROSETTA, "compare", "get_book", f"isbn={ISBN}", "--url", f"{gateway.url}/rest"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert (wrong_url.returncode, wrong_url.stdout) == (2, "")
    assert wrong_url.stderr.startswith("rosetta compare: drop /rest:")
    no_token = subprocess.run(
        [
            ROSETTA,
            "compare",
            "update_book",
            f"isbn={ISBN}",
            "price=1.00",
            "--url",
            token_gateway.url,
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert no_token.returncode == 2, no_token.stderr
    assert "--token TOKEN or set ROSETTA_API_TOKEN" in no_token.stderr


@pytest.mark.parametrize("mistake", ["websocket", "no scheme"])
def test_compare_names_the_fix_of_a_url_that_is_not_http(
    gateway: LiveGateway, mistake: str
) -> None:
    url = {
        "websocket": gateway.url.replace("http", "ws", 1) + "/ws",
        "no scheme": gateway.url.removeprefix("http://"),
    }[mistake]
    done = subprocess.run(
        [ROSETTA, "compare", "get_book", f"isbn={ISBN}", "--url", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"rosetta compare: --url {url} ")
    assert gateway.url in done.stderr
    assert len(done.stderr.splitlines()) == 1
