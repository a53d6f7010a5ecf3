"""Assertions for your own integration tests: one question, every protocol, the same answer?

    answers = answers_from(rosetta_clients, lambda client: client.get_book("9780132350884"))
    assert_same_across_protocols(answers)

A failure shows, for each protocol that disagrees, a unified diff of its answer against the
first protocol's, field by field (see clients.equality).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from clients.equality import differences
from clients.interface import LibraryClient, RemoteError

# For books of a test's own; made where the gateway's side may use it too.
from services.isbn import fresh_isbn as fresh_isbn


class ProtocolsDisagree(AssertionError):
    """Answers to one question differ between protocols; the message holds the diffs."""

    def __init__(self, diffs: Mapping[str, str], baseline: str, ignore: Iterable[str]) -> None:
        masked = ", ".join(sorted(ignore)) or "nothing"
        lines = [
            f"{', '.join(diffs)} answered differently from {baseline} (masked: {masked})",
            *diffs.values(),
        ]
        super().__init__("\n".join(lines))
        self.diffs = dict(diffs)
        self.baseline = baseline


def answers_from(
    clients: Mapping[str, LibraryClient], call: Callable[[LibraryClient], Any]
) -> dict[str, Any]:
    """Asks every client the same question. An error answer becomes {"error": its kind}.

    Error messages are left out on purpose: each protocol words them its own way (zeep even
    refuses some calls before sending them), while the kind is the contract.
    """
    answers: dict[str, Any] = {}
    for name, client in clients.items():
        try:
            answers[name] = call(client)
        except RemoteError as error:
            answers[name] = {"error": error.kind}
    return answers


def assert_same_across_protocols(answers: Mapping[str, Any], ignore: Iterable[str] = ()) -> None:
    """Passes when every answer equals the first one as domain values, `ignore`d fields aside.

    `ignore` names fields masked wherever they occur: what differs by nature between separate
    calls, such as `updated_at` after separate writes, or the `id` of separate loans.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this helper's
    if len(answers) < 2:
        raise ValueError(f"answers from two protocols or more are needed, got {list(answers)}")
    masked = tuple(ignore)
    baseline = next(iter(answers))
    diffs = differences(answers, masked, baseline)
    if diffs:
        raise ProtocolsDisagree(diffs, baseline, masked)
