"""Where the worker processes share their metrics, and the name an instance gives itself."""

from __future__ import annotations

import os
import socket

import pytest

from gateway.settings import Settings
from gateway.worker_metrics import FOLDER_VARIABLE, folder_for_workers


def test_one_worker_shares_nothing_and_leaves_the_environment_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(FOLDER_VARIABLE, raising=False)
    with folder_for_workers(1) as folder:
        assert folder is None
        assert FOLDER_VARIABLE not in os.environ


def test_several_workers_get_a_fresh_folder_removed_afterwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(FOLDER_VARIABLE, raising=False)
    with folder_for_workers(2) as folder:
        assert folder is not None
        assert os.environ[FOLDER_VARIABLE] == str(folder)
        assert list(folder.iterdir()) == []
        (folder / "counter_1.db").write_bytes(b"left by a worker")
    assert not folder.exists()
    assert FOLDER_VARIABLE not in os.environ


def test_an_instance_is_named_by_its_address_unless_named() -> None:
    assert Settings(host="10.0.0.11", port=8000).instance_name == "10.0.0.11:8000"
    assert Settings(host="0.0.0.0", port=8000).instance_name == f"{socket.gethostname()}:8000"
    assert Settings(host="::", port=8001).instance_name == f"{socket.gethostname()}:8001"
    assert Settings(host="0.0.0.0", instance="books-a").instance_name == "books-a"
