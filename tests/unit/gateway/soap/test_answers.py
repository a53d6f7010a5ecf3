"""The SOAP answers kept per domain value: bounded, the least recently served dropped first."""

from __future__ import annotations

from gateway.soap.answers import AnswerKey, Answers


def test_an_answer_is_served_for_an_equal_value_only() -> None:
    answers = Answers()
    answers.keep(AnswerKey("GetBook", ("isbn", 1)), b"<v1/>")
    assert answers.get(AnswerKey("GetBook", ("isbn", 1))) == b"<v1/>"
    assert answers.get(AnswerKey("GetBook", ("isbn", 2))) is None
    assert answers.get(AnswerKey("GetLoan", ("isbn", 1))) is None


def test_the_least_recently_served_answer_is_dropped_past_the_bound() -> None:
    answers = Answers(kept=2)
    first, second, third = (AnswerKey("GetBook", n) for n in range(3))
    answers.keep(first, b"1")
    answers.keep(second, b"2")
    assert answers.get(first) == b"1"  # now the most recently served
    answers.keep(third, b"3")
    assert answers.get(second) is None
    assert (answers.get(first), answers.get(third)) == (b"1", b"3")
