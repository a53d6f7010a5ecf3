"""Are three protocols' answers the same? Compared as domain values, with a readable diff.

Each client already turns its protocol's payload into domain values (Book, Loan, Page), so
"the same answer" means equal domain values: JSON's "12.50" and SOAP's xs:decimal 12.50 are
one price. What differs by nature between two calls (timestamps of separate writes, the ids of
separate loans, the scratch ISBN each protocol wrote to) can be masked by name.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def normalise(value: Any, ignore: Iterable[str] = ()) -> Any:
    """Plain, comparable data: dataclasses to dicts, tuples to lists, masked fields to '*'."""
    masked = frozenset(ignore)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): "*" if k in masked else normalise(v, masked) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(item, masked) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def differences(
    answers: Mapping[str, Any], ignore: Iterable[str] = (), baseline: str | None = None
) -> dict[str, str]:
    """For each protocol whose answer differs from the baseline's, a unified diff; else {}."""
    if not answers:
        return {}
    names = list(answers)
    reference = baseline or names[0]
    expected = _lines(normalise(answers[reference], ignore))
    found: dict[str, str] = {}
    for name in names:
        if name == reference:
            continue
        actual = _lines(normalise(answers[name], ignore))
        if actual != expected:
            found[name] = "".join(
                difflib.unified_diff(expected, actual, fromfile=reference, tofile=name)
            )
    return found


def _lines(data: Any) -> list[str]:
    return [line + "\n" for line in json.dumps(data, indent=2, sort_keys=True).splitlines()]
