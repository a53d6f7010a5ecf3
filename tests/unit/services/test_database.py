"""Opening the database a `--db` value names, and saying why when it cannot be opened."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.storage.database import CannotOpen, open_storage, shown


def test_a_database_url_is_shown_without_its_password() -> None:
    url = "postgresql://ada:s3cret@db.internal:5432/library"
    assert shown(url) == "postgresql://ada:***@db.internal:5432/library"
    assert shown("postgresql://ada@db.internal/library") == "postgresql://ada@db.internal/library"
    assert shown("data/rosetta.db") == "data/rosetta.db"


def test_a_database_that_cannot_be_opened_is_named_with_the_cause(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    db = str(blocker / "rosetta.db")  # a folder that is a file
    with pytest.raises(CannotOpen) as refused:
        asyncio.run(open_storage(db))
    assert str(refused.value).startswith(f"cannot open the database {db}: ")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("db", "message"),
    [
        pytest.param(
            "mysql://ada:s3cret@db.internal/library",
            "cannot open the database mysql://ada:***@db.internal/library: 'mysql' is not "
            "supported; give a SQLite file or a postgresql:// URL",
            id="another-database",
        ),
        pytest.param(
            "postgresql://ada:s3cret@db.internal:port/library",
            "cannot open the database: its URL cannot be read; give a SQLite file or a "
            "postgresql:// URL",
            id="unreadable-url",
        ),
    ],
)
def test_a_database_rosetta_cannot_speak_to_is_refused_with_what_it_can(
    db: str, message: str
) -> None:
    with pytest.raises(CannotOpen) as refused:
        asyncio.run(open_storage(db))
    assert str(refused.value) == message
