"""`rosetta serve`, started as a user starts it, answers zeep, curl and the WebSocket client.

The other integration tests serve the app from a thread; this one runs the console script in a
process of its own, so that running it on a Python version shows the command works there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from clients.soap import SoapClient
from clients.ws import WsClient
from tests.integration.test_serve import rosetta_serve

ROOT = Path(__file__).resolve().parents[2]
CLEAN_CODE = "9780132350884"  # a sample book, seeded on first start


def curl_script(name: str, base: str, *args: str) -> str:
    """Runs one of clients/curl's scripts against the gateway at base; returns its output."""
    done = subprocess.run(
        ["bash", str(ROOT / "clients" / "curl" / name), *args],
        env=os.environ | {"ROSETTA_URL": base},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_rosetta_serve_answers_each_protocol_through_its_own_client(tmp_path: Path) -> None:
    with rosetta_serve(["--db", str(tmp_path / "serve.db")]) as base:
        assert '"title":"Clean Code"' in curl_script("rest.sh", base, "get_book", CLEAN_CODE)
        assert "<tns:title>Clean Code</tns:title>" in curl_script(
            "soap.sh", base, "get_book", CLEAN_CODE
        )
        zeep = SoapClient(base)
        websocket = WsClient(base)
        try:
            assert zeep.get_book(CLEAN_CODE).title == "Clean Code"
            assert websocket.get_book(CLEAN_CODE).title == "Clean Code"
        finally:
            zeep.close()
            websocket.close()
