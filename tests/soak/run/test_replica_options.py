"""--restore-every, --final-stop, --idle, --pitr-samples: parsed values, and one clear line for each bad one."""

from __future__ import annotations

import pytest

from common.errors import UserError
from soak.run.replica_options import ReplicaChecks, parse_replica_checks


def _parse(**over: object) -> ReplicaChecks:
    args: dict[str, object] = {"restore_every": "2m", "final_stop": "term", "idle": "0", "pitr_samples": 3}
    args.update(over)
    return parse_replica_checks(**args)  # type: ignore[arg-type]


def test_defaults_and_values() -> None:
    assert _parse() == ReplicaChecks(restore_every_s=120, final_stop="term", idle_s=0, pitr_samples=3)
    assert _parse(restore_every="0", final_stop="KILL", idle="2m", pitr_samples="0") == ReplicaChecks(
        restore_every_s=0, final_stop="kill", idle_s=120, pitr_samples=0
    )
    assert _parse(corrupt_object=True).for_run_json() == {
        "restore_every_s": 120, "final_stop": "term", "idle_s": 0, "pitr_samples": 3, "corrupt_object": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"restore_every": "soon"}, "--restore-every 'soon' is not a duration"),
        ({"restore_every": "5s"}, "--restore-every '5s' is shorter than 10s"),
        ({"final_stop": "int"}, "--final-stop 'int' is unknown; choose term"),
        ({"idle": "two minutes"}, "--idle 'two minutes' is not a duration"),
        ({"idle": "5s"}, "--idle '5s' is shorter than 13s: its first 3s (a sync interval and a slack)"),
        ({"pitr_samples": "three"}, "--pitr-samples 'three' is not a whole number"),
        ({"pitr_samples": -1}, "--pitr-samples must be 0 or more (got -1)"),
    ],
)
def test_each_bad_value_is_one_line_naming_the_flag(over: dict[str, object], message: str) -> None:
    with pytest.raises(UserError) as err:
        _parse(**over)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_shortest_idle_is_accepted() -> None:
    assert _parse(idle="13s").idle_s == 13


def test_each_flag_asks_for_its_checks_and_a_restore_interval_as_long_as_the_load_asks_for_none() -> None:
    every = ReplicaChecks(restore_every_s=60, final_stop="kill", idle_s=30, pitr_samples=2, corrupt_object=True)
    assert every.asked(600) == [
        "periodic_restore",
        "replica_age",
        "crash_restore",
        "idle_quiet",
        "pitr",
        "corrupt_object",
    ]
    assert every.asked(60)[:1] == ["crash_restore"], "no restore finishes within a load as long as the interval"
    assert ReplicaChecks().asked(600) == []
