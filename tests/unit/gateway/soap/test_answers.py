"""The SOAP answers kept per domain value: bounded, the least recently served dropped first."""

from __future__ import annotations

from types import SimpleNamespace

from gateway.soap.answers import AnswerKey, Answers, answer


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


def test_an_operation_builds_no_spyne_objects_for_a_kept_answer() -> None:
    answers = Answers()
    ctx = SimpleNamespace(
        descriptor=SimpleNamespace(name="GetBook"),
        out_protocol=SimpleNamespace(answers=answers),
        udc=None,
    )
    assert answer(ctx, ("isbn", 1), lambda value: f"built {value[1]}") == "built 1"
    answers.keep(ctx.udc.key, b"<kept/>")
    assert answer(ctx, ("isbn", 1), lambda value: f"built {value[1]}") is None
    # Should the bytes be dropped before serialize, the protocol still has what to build.
    assert ctx.udc.build() == "built 1"
