"""`rosetta compare --frameworks`: the same REST call measured across the four servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from clients.compare.charts import plot
from clients.compare.frameworks import compare_frameworks, weigh_implementation
from clients.compare.report import render
from frameworks.serving import FRAMEWORKS
from tests.integration.rest.support import SAMPLE_ISBN


def test_the_four_answer_the_same_book_with_different_headers(
    servers: dict[str, str], tmp_path: Path
) -> None:
    comparison = compare_frameworks(servers, "get_book", {"isbn": SAMPLE_ISBN}, 2, weights=False)
    assert comparison.columns == FRAMEWORKS
    assert comparison.equal, comparison.differences
    framing = {name: m.first.framing for name, m in comparison.measurements.items()}
    assert len(set(framing.values())) > 1, "each framework writes its own headers"
    table = render(comparison, "table")
    assert "FastAPI, Flask, Django and Tornado compared over 2 runs" in table
    chart = plot(comparison, tmp_path / "frameworks.png")
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_a_write_is_compared_on_scratch_books(servers: dict[str, str]) -> None:
    arguments = {"isbn": SAMPLE_ISBN, "member": "ada"}
    comparison = compare_frameworks(servers, "borrow_book", arguments, 1, weights=False)
    assert comparison.equal, comparison.differences
    assert {m.answer["member"] for m in comparison.measurements.values()} == {"ada"}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_implementation_is_weighed(framework: str) -> None:
    weight = weigh_implementation(framework)
    assert weight.lines_of_code > 50
    assert framework in weight.imports
    assert weight.import_ms > 0
    assert "rosetta" not in {package.lower() for package in weight.packages}
