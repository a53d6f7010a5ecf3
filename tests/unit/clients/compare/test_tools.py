"""The pieces of `rosetta call` and `rosetta compare` that need no gateway: arguments typed by
the parameter they fill, lines of code, imports, percentiles."""

from __future__ import annotations

import pytest

from clients.arguments import ArgumentError, describe, parse_arguments
from clients.compare.results import percentile
from clients.compare.weight import lines_of_code, third_party_imports

SOURCE = '''"""A module docstring
over two lines."""

import json  # a comment after code counts as code
import httpx
from zeep.helpers import serialize_object
from clients.interface import RemoteError
from . import sibling

# a comment alone


def call(x: int) -> str:
    """A docstring."""
    return json.dumps(
        x
    )
'''


def test_values_keep_the_type_of_the_parameter_they_fill() -> None:
    arguments = parse_arguments(
        "update_book",
        ["9780132350884", "price=12.50", "copies=3", "tags=a", "tags=b", "title=007"],
    )

    assert arguments == {
        "isbn": "9780132350884",
        "price": "12.50",
        "copies": 3,
        "tags": ["a", "b"],
        "title": "007",
    }


def test_a_list_may_be_given_as_json_and_emptied() -> None:
    words = ["isbn=9780132350884", 'authors=["A, B", "C"]', "tags=[]"]
    assert parse_arguments("update_book", words) == {
        "isbn": "9780132350884",
        "authors": ["A, B", "C"],
        "tags": [],
    }


def test_flags_are_true_or_false() -> None:
    assert parse_arguments("list_loans", ["open_only=TRUE"]) == {"open_only": True}
    with pytest.raises(ArgumentError, match="open_only must be true or false"):
        parse_arguments("list_loans", ["open_only=1"])


def test_a_positional_value_after_a_named_one_is_refused() -> None:
    with pytest.raises(ArgumentError, match="write it as key=value"):
        parse_arguments("borrow_book", ["isbn=9780132350884", "ada"])


def test_the_call_is_described_as_a_command_line_would_write_it() -> None:
    arguments = {"q": "design", "limit": 5, "open_only": False, "tags": ["a", "b"]}

    assert describe("list_books", arguments) == (
        "list_books q=design limit=5 open_only=false tags=a tags=b"
    )


def test_lines_of_code_leave_out_blanks_comments_and_docstrings() -> None:
    # Five imports, the def line, and the three lines of the return.
    assert lines_of_code(SOURCE) == 9


def test_third_party_imports_leave_out_the_standard_library_and_the_project() -> None:
    assert third_party_imports(SOURCE) == ("httpx", "zeep")


def test_percentiles_are_values_that_were_measured() -> None:
    samples = [5.0, 1.0, 4.0, 2.0, 3.0]

    assert percentile(samples, 50) == 3.0
    assert percentile(samples, 95) == 5.0
    assert percentile([7.25], 95) == 7.25
