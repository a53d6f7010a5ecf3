"""A missing system program skips its tests on a developer's machine and fails them in CI."""

from __future__ import annotations

import pytest

from tests.system_programs import SystemProgram

MISSING = SystemProgram("widget", "widget-tools", lambda: "widget is not installed")
PRESENT = SystemProgram("widget", "widget-tools", lambda: None)


def test_a_missing_program_skips_naming_its_package_and_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ROSETTA_WIDGET_TESTS", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        MISSING.need()
    assert str(skipped.value) == (
        "widget is not installed: install the Debian package widget-tools "
        "(`apt-get install widget-tools`, as root)"
    )


def test_a_missing_program_fails_where_it_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROSETTA_WIDGET_TESTS", "required")
    with pytest.raises(pytest.fail.Exception, match=r"widget is not installed.*=required"):
        MISSING.need()


def test_a_program_that_is_there_lets_the_test_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROSETTA_WIDGET_TESTS", "required")
    PRESENT.need()
