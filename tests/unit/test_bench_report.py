"""The benchmark's verdicts, ratios and margins, fed numbers whose answers are known."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bench.measure import LoadResult, latency_result
from bench.payloads import OPERATIONS, PROTOCOLS
from bench.report import (
    CROSSING_NAME,
    ERROR_BOUND,
    Verdict,
    crossing_verdicts,
    error_share,
    ratio,
    verdicts,
)
from bench.run import BASELINE_OF, GATEWAY

SECONDS = 10.0
FLOOR_US = 500.0  # the service alone, per call


def run(good: int, errors: int = 0, server_cpu: float = 1.0) -> dict[str, Any]:
    """One load row as results.json holds it: `good` successes and `errors` error answers."""
    result = LoadResult(
        requests=good + errors,
        good=good,
        seconds=SECONDS,
        errors=errors,
        p50_ms=1.0,
        p99_ms=2.0,
        driver="test",
        connections=32,
        server_cpu=server_cpu,
        driver_cpu=0.5,
    )
    return result.as_dict()


def results(
    gateway_good: int = 10_000,
    baseline_good: int = 10_000,
    gateway_errors: int = 0,
    baseline_errors: int = 0,
) -> dict[str, Any]:
    """Every protocol and operation measured alike on both sides, one fan-out, one idle run."""
    load = []
    for protocol in PROTOCOLS:
        for op in OPERATIONS:
            load.append(
                {"server": GATEWAY, "protocol": protocol, "operation": op}
                | run(gateway_good, gateway_errors)
            )
            load.append(
                {"server": BASELINE_OF[protocol], "protocol": protocol, "operation": op}
                | run(baseline_good, baseline_errors)
            )
    return {
        "labels": {GATEWAY: "gateway", **{b: f"bare {b}" for b in BASELINE_OF.values()}},
        "machine": {"soap_baseline_server": "bjoern"},
        "floor": dict.fromkeys(OPERATIONS, FLOOR_US),
        "load": load,
        "fanout": [{"subscribers": 100, "received": 100, "last_ms": 80.0}],
        "idle": [{"server": GATEWAY, "bytes_per_connection": 20 * 1024}],
    }


def by_name(found: list[Verdict]) -> dict[str, Verdict]:
    return {v.name.split(":")[0]: v for v in found}


def test_rps_counts_only_successful_answers() -> None:
    assert run(good=900, errors=100)["rps"] == 90.0
    assert run(good=900, errors=100)["error_share"] == pytest.approx(0.1)


def test_latency_result_separates_error_answers_from_calls_never_answered() -> None:
    result = latency_result([0.002, 0.001, 0.003, 0.004], 1, 2, 2.0, "test", 4, 0.5)
    assert (result.requests, result.good, result.errors) == (4, 3, 3)
    assert result.rps == 1.5
    assert result.error_share == pytest.approx(0.5)
    assert result.p50_ms == pytest.approx(2.0)


def test_ratio_is_gateway_over_baseline_in_good_answers_per_second() -> None:
    measured = results(gateway_good=12_000, baseline_good=8_000)
    assert ratio(measured, "rest", "get_book", "fastapi") == pytest.approx(1.5)


def test_error_answers_do_not_count_as_throughput() -> None:
    # The gateway answers 20,000 calls, half of them errors: 10,000 good ones, as the baseline.
    measured = results(gateway_good=10_000, gateway_errors=10_000)
    assert ratio(measured, "websocket", "get_book", "websockets") == pytest.approx(1.0)


def test_a_ratio_against_a_baseline_with_no_success_is_not_a_number() -> None:
    assert math.isnan(ratio(results(baseline_good=0), "soap", "get_book", "spyne"))


def test_error_share_is_the_worse_of_the_two_runs_compared() -> None:
    measured = results(gateway_errors=0, baseline_good=9_000, baseline_errors=1_000)
    assert error_share(measured, "rest", "get_book", "fastapi") == pytest.approx(0.1)


def test_targets_met_and_missed_with_their_margins() -> None:
    found = by_name(verdicts(results(gateway_good=12_000, baseline_good=10_000), BASELINE_OF))
    soap, rest = found["SOAP get_book"], found["REST get_book"]
    assert soap.measured == pytest.approx(1.2)
    assert rest.measured == pytest.approx(1.2)
    assert (soap.met, soap.margin, rest.met, rest.margin) == (True, "+20%", False, "-20%")
    assert soap.row() == ["SOAP get_book: gateway / bare spyne", "1.20x", ">= 1.00x", "met", "+20%"]
    assert rest.row()[3] == "MISSED"


def test_lower_is_better_targets_have_their_margin_turned_round() -> None:
    found = by_name(verdicts(results(), BASELINE_OF))
    fan_out = found["one event to 100 subscribers"]
    memory = found["memory per idle WebSocket connection"]
    assert (fan_out.met, fan_out.margin) == (True, "+68%")  # 80 ms against < 250 ms
    assert (memory.measured, memory.met, memory.margin) == (20.0, True, "+60%")
    assert fan_out.row()[1:3] == ["80 ms", "< 250 ms"]


def test_the_websocket_target_judges_every_measured_operation() -> None:
    names = [v.name for v in verdicts(results(), BASELINE_OF) if v.name.startswith("WebSocket")]
    assert names == [f"WebSocket {op}: gateway / bare websockets" for op in OPERATIONS]


def test_a_fast_gateway_that_fails_calls_misses_its_target_and_says_why() -> None:
    # Twice the baseline's good answers, but 2% of its calls failed.
    measured = results(gateway_good=20_000, gateway_errors=408)
    found = by_name(verdicts(measured, BASELINE_OF))
    soap = found["SOAP get_book"]
    assert soap.measured == pytest.approx(2.0)
    assert not soap.met
    assert soap.row()[3] == f"MISSED: 2.0% of calls failed (bound {ERROR_BOUND:.0%})"


def test_errors_within_the_bound_leave_the_verdict_to_the_ratio() -> None:
    measured = results(gateway_good=20_000, gateway_errors=20)  # 0.1% failed
    soap = by_name(verdicts(measured, BASELINE_OF))["SOAP get_book"]
    assert soap.met
    assert soap.row()[3] == "met"


def test_a_baseline_that_fails_calls_spoils_the_comparison_too() -> None:
    measured = results(baseline_good=5_000, baseline_errors=5_000)
    rest = by_name(verdicts(measured, BASELINE_OF))["REST get_book"]
    assert rest.measured == pytest.approx(2.0)
    assert rest.row()[3].startswith("MISSED: 50.0% of calls failed")


def test_a_run_where_no_call_ended_cannot_meet_its_target() -> None:
    measured = results(gateway_good=0, baseline_good=0)
    ws = by_name(verdicts(measured, BASELINE_OF))["WebSocket get_book"]
    assert not ws.met
    assert ws.row()[1:] == ["n/a", ">= 0.85x", "MISSED: no call ended (bound 1%)", "n/a"]


def test_a_fan_out_that_lost_subscribers_is_missed_whatever_its_time() -> None:
    measured = results()
    measured["fanout"] = [{"subscribers": 100, "received": 97, "last_ms": 10.0}]
    fan_out = by_name(verdicts(measured, BASELINE_OF))["one event to 100 subscribers"]
    assert not fan_out.met
    assert fan_out.note == "3 subscribers never got it"


def test_the_cross_instance_latency_is_judged_by_its_p99() -> None:
    measured = {"changes": 500, "received": 500, "p50_ms": 4.0, "p99_ms": 40.0}
    (verdict,) = crossing_verdicts({"crossing": measured})
    assert verdict.row() == [CROSSING_NAME, "40 ms", "< 50 ms", "met", "+20%"]
    assert verdict.note == "p50 4.0 ms over 500 changes"
    slow = measured | {"p99_ms": 60.0}
    assert crossing_verdicts({"crossing": slow})[0].row()[3:] == ["MISSED", "-20%"]


def test_a_cross_instance_run_that_lost_events_is_missed_whatever_its_time() -> None:
    lossy = {"changes": 500, "received": 498, "p50_ms": 4.0, "p99_ms": 10.0}
    (verdict,) = crossing_verdicts({"crossing": lossy})
    assert verdict.status == "MISSED"
    assert "2 events never arrived" in verdict.note


def test_without_postgresql_the_cross_instance_row_says_why_it_was_not_measured() -> None:
    (verdict,) = crossing_verdicts({"crossing": {"skipped": "initdb not found"}})
    assert verdict.row()[1:4] == ["n/a", "< 50 ms", "not measured"]
    assert verdict.note == "needs PostgreSQL: initdb not found"
    assert crossing_verdicts({}) == []  # a run made before the measurement existed
