"""Each framework under the server its users would run it with, as the guide documents; and
Tornado's own WebSocket, answering JSON-RPC and pushing the events of REST changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from clients.compare.servers import rosetta_command, running
from tests.integration.rest.support import SAMPLE_ISBN
from tests.integration.ws.overflow import overflow, resume
from tests.support import book_fields

BIN = Path(sys.executable).parent
NATIVE_COMMANDS = {
    "flask": [
        str(BIN / "waitress-serve"),
        "--listen=127.0.0.1:0",
        "--call",
        "frameworks.flask_app:create_app",
    ],
    "django": [
        str(BIN / "uvicorn"),
        "--lifespan",
        "off",
        "--port",
        "0",
        "frameworks.django_app.asgi:application",
    ],
    "tornado": [sys.executable, "-m", "frameworks.tornado_app", "--port", "0"],
}


@pytest.mark.parametrize("framework", sorted(NATIVE_COMMANDS))
def test_each_framework_runs_under_its_own_server(framework: str, tmp_path: Path) -> None:
    env = {"ROSETTA_DB": str(tmp_path / "native.db")}
    with running(NATIVE_COMMANDS[framework], tmp_path / "native.log", env) as url:
        answer = httpx.get(f"{url}/rest/books/{SAMPLE_ISBN}", timeout=30)
    assert answer.status_code == 200
    assert answer.json()["title"] == "Clean Code"


def test_workers_and_reload_are_refused_outside_fastapi() -> None:
    command = rosetta_command("serve", "--framework", "flask", "--workers", "2")
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "--workers serve fastapi only" in done.stderr


def test_tornado_websocket_answers_json_rpc_and_pushes_rest_changes(tmp_path: Path) -> None:
    env = {"ROSETTA_DB": str(tmp_path / "ws.db")}
    with (
        running(NATIVE_COMMANDS["tornado"], tmp_path / "ws.log", env) as url,
        connect(url.replace("http://", "ws://") + "/ws", open_timeout=30) as ws,
    ):
        ws.send(
            json.dumps(
                [
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "get_book",
                        "params": {"isbn": SAMPLE_ISBN},
                    },
                    {
                        "jsonrpc": "2.0",
                        "id": 2,
                        "method": "subscribe",
                        "params": {"events": ["book.*"]},
                    },
                    {"jsonrpc": "2.0", "id": 3, "method": "get_book", "params": {"isbn": "1"}},
                    {"jsonrpc": "2.0", "id": 4, "method": "no_such_method"},
                ]
            )
        )
        answers = {answer["id"]: answer for answer in json.loads(ws.recv(timeout=30))}
        assert answers[1]["result"]["title"] == "Clean Code"
        assert answers[2]["result"]["events"] == ["book.*"]
        assert answers[3]["error"]["data"]["kind"] == "invalid_input"
        assert answers[4]["error"]["code"] == -32601
        added = httpx.post(f"{url}/rest/books", json=book_fields(), timeout=30).json()
        event = json.loads(ws.recv(timeout=30))
    assert event["method"] == "event"
    assert event["params"]["type"] == "book.added"
    assert event["params"]["data"]["isbn"] == added["isbn"]


def test_a_tornado_subscriber_that_does_not_read_is_closed_with_1008(tmp_path: Path) -> None:
    # As the gateway's own test (tests/integration/ws/test_events.py) has it: a queue of 50
    # events, far fewer than the changes `overflow` makes, and no server pings, whose pongs
    # would queue behind the events the reader never reads.
    env = {
        "ROSETTA_DB": str(tmp_path / "slow.db"),
        "ROSETTA_EVENT_QUEUE_SIZE": "50",
        "ROSETTA_WS_PING_INTERVAL": "0",
    }
    with running(NATIVE_COMMANDS["tornado"], tmp_path / "slow.log", env) as url:
        ws_url = url.replace("http://", "ws://") + "/ws"
        received, close, changes, subscribed = overflow(ws_url)
        # Nothing is lost: the client resumes after the last seq it got, and catches up.
        last = subscribed["seq"] + 1 + changes  # the book's addition, then its updates
        received += resume(ws_url, subscribed, received[-1], last)
    assert close is not None
    assert close.code == 1008
    assert "not read fast enough" in close.reason
    assert "after" in close.reason
    assert received == list(range(subscribed["seq"] + 2, last + 1))
