"""The flags of the independent replica checks: ``--restore-every``, ``--final-stop``, ``--idle``, ``--pitr-samples``,
``--corrupt-object``.

Parsed before anything starts (a bad value is one line), recorded in run.json ``replica_checks``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from common.errors import UserError
from common.units import format_duration, parse_duration
from soak.run.idle import MIN_JUDGED_S, SETTLE_SLACK_S, min_idle_s
from soak.run.replica_view import LITESTREAM_SYNC_INTERVAL_S

FINAL_STOPS = ("term", "kill")


@dataclass(frozen=True)
class ReplicaChecks:
    """``restore_every_s`` 0: no periodic restores; ``idle_s`` 0: no idle phase; ``pitr_samples`` 0: no PITR."""

    restore_every_s: float = 0.0
    final_stop: str = "term"
    idle_s: float = 0.0
    pitr_samples: int = 0
    corrupt_object: bool = False

    def for_run_json(self) -> dict[str, Any]:
        return asdict(self)

    def asked(self, duration_s: float) -> list[str]:
        """The checks these flags ask for, each of which result.json must hold for a pass."""
        return list(
            asked_checks(
                self.restore_every_s, self.final_stop, self.idle_s, self.pitr_samples, self.corrupt_object, duration_s
            )
        )


def asked_checks(
    restore_every_s: float,
    final_stop: str,
    idle_s: float,
    pitr_samples: int,
    corrupt_object: bool,
    duration_s: float | None,
) -> dict[str, str]:
    """Check name -> the flag that asked for it. The one list both the soak (result.json must hold each) and the
    analysis (an asked check never made is ``na``) read; periodic restores count only when shorter than the load."""
    asked: dict[str, str] = {}
    if restore_every_s > 0 and (duration_s is None or restore_every_s < duration_s):
        asked["periodic_restore"] = asked["replica_age"] = f"--restore-every {restore_every_s:g}s"
    if final_stop == "kill":
        asked["crash_restore"] = "--final-stop kill"
    if idle_s > 0:
        asked["idle_quiet"] = f"--idle {idle_s:g}s"
    if pitr_samples > 0:
        asked["pitr"] = f"--pitr-samples {pitr_samples}"
    if corrupt_object:
        asked["corrupt_object"] = "--corrupt-object"
    return asked


def _duration_or_zero(text: str, flag: str) -> float:
    if str(text).strip() in ("0", "0s", "off"):
        return 0.0
    value = parse_duration(text, name=flag)
    if value < 0:
        raise UserError(f"--{flag} must not be negative (got {text!r}); 0 turns it off")
    return value


def parse_replica_checks(
    *, restore_every: str, final_stop: str, idle: str, pitr_samples: object, corrupt_object: bool = False
) -> ReplicaChecks:
    """Check the four flags; each bad one is a UserError naming it and the fix."""
    every = _duration_or_zero(restore_every, "restore-every")
    if 0 < every < 10:
        raise UserError(
            f"--restore-every {restore_every!r} is shorter than 10s; a restore takes seconds itself: use e.g. 2m, or 0"
        )
    stop = str(final_stop).strip().lower()
    if stop not in FINAL_STOPS:
        raise UserError(f"--final-stop {final_stop!r} is unknown; choose term (SIGTERM, default) or kill (SIGKILL)")
    try:
        samples = int(str(pitr_samples).strip())
    except ValueError:
        raise UserError(f"--pitr-samples {pitr_samples!r} is not a whole number; give e.g. 3, or 0 for none") from None
    if samples < 0:
        raise UserError(f"--pitr-samples must be 0 or more (got {samples})")
    idle_s = _duration_or_zero(idle, "idle")
    shortest = min_idle_s(LITESTREAM_SYNC_INTERVAL_S)
    if 0 < idle_s < shortest:
        raise UserError(
            f"--idle {idle!r} is shorter than {format_duration(shortest)}: its first "
            f"{LITESTREAM_SYNC_INTERVAL_S + SETTLE_SLACK_S:g}s (a sync interval and a slack) upload the load's last "
            f"writes and are not judged, and at least {MIN_JUDGED_S:g}s must be; use e.g. 2m, or 0"
        )
    return ReplicaChecks(
        restore_every_s=every,
        final_stop=stop,
        idle_s=idle_s,
        pitr_samples=samples,
        corrupt_object=bool(corrupt_object),
    )
