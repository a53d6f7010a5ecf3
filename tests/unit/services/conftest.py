from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.service import LibraryService
from tests.unit.services.fakes import FakeStorage

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage()


@pytest.fixture
def service(storage: FakeStorage) -> LibraryService:
    ids = iter(f"loan-{n}" for n in range(1, 1000))
    return LibraryService(storage, clock=lambda: NOW, loan_ids=lambda: next(ids))
