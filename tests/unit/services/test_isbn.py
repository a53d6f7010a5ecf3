from __future__ import annotations

import pytest

from services.isbn import fresh_isbn, isbn13_check_digit, normalize_isbn
from services.sample_data import SAMPLE_BOOKS


@pytest.mark.parametrize(
    "written",
    ["9780132350884", "978-0-13-235088-4", "978 0 13 235088 4", " 978-0132350884 "],
)
def test_isbn_is_normalised_to_thirteen_digits(written: str) -> None:
    assert normalize_isbn(written) == "9780132350884"


@pytest.mark.parametrize(
    "written",
    [
        "9780132350885",  # wrong check digit
        "978013235088",  # twelve digits
        "97801323508840",  # fourteen
        "0132350882",  # ISBN-10
        "1230132350884",  # not a 978/979 prefix
        "978013235088X",
        "٩٧٨٠١٣٢٣٥٠٨٨٤",  # Arabic-Indic digits are digits to Python, not to ISBN
        "",
    ],
)
def test_invalid_isbns_are_refused(written: str) -> None:
    assert normalize_isbn(written) is None


def test_check_digit_of_a_known_isbn() -> None:
    assert isbn13_check_digit("978020163361") == "0"


def test_a_fresh_isbn_is_valid_and_outside_the_sample_books_range() -> None:
    isbn = fresh_isbn()
    assert normalize_isbn(isbn) == isbn
    assert isbn.startswith("9798")
    assert not any(str(book["isbn"]).startswith("9798") for book in SAMPLE_BOOKS)
