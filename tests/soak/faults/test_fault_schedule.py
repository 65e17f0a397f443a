"""The fault options: valid ones become a reproducible FaultPlan, each bad one is one clear line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from common.errors import UserError
from soak.faults.plan import KILL_JITTER, FaultPlan, Outage, parse_fault_options

TEN_MIN = 600.0


def plan(duration: float = TEN_MIN, **options: Any) -> FaultPlan:
    result = parse_fault_options(duration, **options)
    assert result is not None
    return result


def test_no_fault_option_means_no_plan() -> None:
    assert parse_fault_options(TEN_MIN) is None
    assert parse_fault_options(TEN_MIN, s3_latency=0, s3_error_rate="0") is None


def test_kill_times_are_jittered_reproducible_and_fit_the_run() -> None:
    a = plan(kill_every="45s", restart_after="10s", fault_seed=7)
    assert a.kill is not None and a.kill.restart_after_s == 10
    gaps = [t2 - t1 for t1, t2 in zip((0.0, *a.kill.times_s), a.kill.times_s, strict=False)]
    assert all(45 * (1 - KILL_JITTER) <= g <= 45 * (1 + KILL_JITTER) for g in gaps)
    assert len(set(round(g) for g in gaps)) > 1, "kills must not be evenly spaced"
    assert a.kill.times_s[-1] + 10 < TEN_MIN
    assert len(a.kill.times_s) >= 10
    assert plan(kill_every="45s", restart_after="10s", fault_seed=7).kill == a.kill
    assert plan(kill_every="45s", restart_after="10s", fault_seed=8).kill != a.kill


def test_outages_are_parsed_and_sorted() -> None:
    p = plan(s3_outage=["5m+30s", "1m+1m30s"])
    assert p.outages == (Outage(60, 90), Outage(300, 30))
    assert p.needs_toxiproxy and not p.needs_http_proxy


def test_chaos_preset_is_a_mix_scaled_to_the_duration() -> None:
    p = plan(chaos=True, fault_seed=1)
    assert p.chaos and p.kill is not None
    assert p.kill.every_s == 150 and p.kill.restart_after_s == 5 and len(p.kill.times_s) >= 3
    assert p.outages == (Outage(200, 30), Outage(400, 30))
    assert (p.latency_ms, p.reset_rate, p.error_rate) == (100, 0.0, 0.02), "resets only on request"
    short = plan(180, chaos=True, fault_seed=1)
    assert short.kill is not None and short.kill.every_s == 45
    assert all(o.end_s < 180 for o in short.outages)


def test_an_explicit_flag_wins_over_the_chaos_preset() -> None:
    p = plan(chaos=True, s3_latency=0, s3_outage=["1m+10s"], fault_seed=1)
    assert p.latency_ms == 0 and p.outages == (Outage(60, 10),) and p.error_rate == 0.02
    assert plan(chaos=True, s3_reset_rate="0.01", fault_seed=1).reset_rate == 0.01


def test_plan_round_trips_through_run_json() -> None:
    p = plan(chaos=True, fault_seed=3)
    data = json.loads(json.dumps(p.to_json()))
    assert data["outages"][0] == {"start_s": 200.0, "length_s": 30.0, "end_s": 230.0}
    assert data["kill"]["times_s"] == list(p.kill.times_s) if p.kill else False
    assert FaultPlan.from_json(data) == p


BAD = [
    ({"s3_outage": ["9m+2m"]}, "--s3-outage '9m+2m' ends at 11m, after the run's 10m"),
    ({"s3_outage": ["20m"]}, "--s3-outage '20m' is not START+LENGTH"),
    ({"s3_outage": ["1m+"]}, "--s3-outage '1m+' is not START+LENGTH"),
    ({"s3_outage": ["soon+2m"]}, "--s3-outage START 'soon' is not a duration"),
    ({"s3_outage": ["1m+0s"]}, "has a zero LENGTH"),
    ({"s3_outage": ["1m+2m", "2m+1m"]}, "--s3-outage windows overlap"),
    ({"kill_every": "10m"}, "--kill-every '10m' is not shorter than the run's 10m"),
    ({"kill_every": "20m"}, "is not shorter than the run's"),
    ({"kill_every": "0s"}, "--kill-every '0s' is zero"),
    ({"kill_every": "often"}, "--kill-every 'often' is not a duration"),
    ({"kill_every": "40s", "restart_after": "30s"}, "--restart-after 30s is not shorter than the kill interval"),
    ({"restart_after": "5s"}, "--restart-after needs --kill-every"),
    ({"s3_reset_rate": "1.5"}, "--s3-reset-rate '1.5' is outside 0..1"),
    ({"s3_reset_rate": "-0.1"}, "--s3-reset-rate '-0.1' is outside 0..1"),
    ({"s3_error_rate": "2"}, "--s3-error-rate '2' is outside 0..1"),
    ({"s3_error_rate": "lots"}, "--s3-error-rate 'lots' is not a number"),
    ({"s3_latency": "-5"}, "--s3-latency '-5' is negative"),
    ({"s3_latency": "fast"}, "--s3-latency 'fast' is not a number of milliseconds"),
    ({"kill_every": "1m", "fault_seed": "abc"}, "--fault-seed 'abc' is not an integer"),
]


@pytest.mark.parametrize(("options", "message"), BAD, ids=[m.split(" ")[0] + f"-{i}" for i, (_, m) in enumerate(BAD)])
def test_bad_fault_option_is_one_clear_line(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_fault_options(TEN_MIN, **options)
    text = caught.value.line()
    assert message in text
    assert "\n" not in text and ";" in text, "one line saying what is wrong; how to fix it"


def test_chaos_on_a_too_short_run_is_refused() -> None:
    with pytest.raises(UserError, match="--chaos needs a run of at least 2m"):
        parse_fault_options(60, chaos=True)
