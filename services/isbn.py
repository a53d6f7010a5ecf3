"""ISBN-13, the only identifier a book has: checked, normalised, and made fresh for new books."""

from __future__ import annotations

import random
import re

_SEPARATORS = re.compile(r"[\s-]")
_random = random.SystemRandom()


def isbn13_check_digit(first12: str) -> str:
    """The digit that makes the weighted sum (1, 3, 1, 3...) a multiple of ten."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def normalize_isbn(raw: str) -> str | None:
    """The 13 digits of a valid ISBN-13 written with or without hyphens and spaces, else None."""
    digits = _SEPARATORS.sub("", raw)
    if len(digits) != 13 or not digits.isascii() or not digits.isdigit():
        return None
    if not digits.startswith(("978", "979")):
        return None
    if isbn13_check_digit(digits[:12]) != digits[12]:
        return None
    return digits


def fresh_isbn() -> str:
    """A valid ISBN-13 no one is likely to have used: 979-8 and eight random digits.

    No sample book is in the 979-8 range, so a book added under it collides with none of them.
    """
    first12 = "9798" + "".join(str(_random.randrange(10)) for _ in range(8))
    return first12 + isbn13_check_digit(first12)
