"""The fault options of ``soak.overnight``, validated into one ``FaultPlan`` that run.json records.

All times in a plan count from the start of the load (``0`` = the load starts, ``duration_s`` = it stops),
so a schedule read from run.json replays the same faults: kill times are drawn once, from ``seed``.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from common.errors import UserError
from common.units import format_duration, parse_duration

# A kill lands within ±KILL_JITTER of its nominal interval, so kills do not beat with Litestream's own timers.
KILL_JITTER = 0.25
DEFAULT_RESTART_AFTER_S = 5.0
_OUTAGE = re.compile(r"^\s*([^+\s]+)\s*\+\s*([^+\s]+)\s*$")


@dataclass(frozen=True)
class Outage:
    """S3 unreachable from ``start_s`` for ``length_s`` seconds (connections refused)."""

    start_s: float
    length_s: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.length_s


@dataclass(frozen=True)
class KillPlan:
    """SIGKILL litestream at each of ``times_s``; start it again ``restart_after_s`` later."""

    every_s: float
    restart_after_s: float
    times_s: tuple[float, ...]


@dataclass(frozen=True)
class FaultPlan:
    """Every fault of one run. Zero / empty / None means that fault is off."""

    seed: int
    chaos: bool = False
    kill: KillPlan | None = None
    latency_ms: float = 0.0
    reset_rate: float = 0.0
    error_rate: float = 0.0
    outages: tuple[Outage, ...] = field(default=())

    @property
    def needs_toxiproxy(self) -> bool:
        """TCP-level faults: latency, resets and outages go through Toxiproxy."""
        return self.latency_ms > 0 or self.reset_rate > 0 or bool(self.outages)

    @property
    def needs_http_proxy(self) -> bool:
        """HTTP-level faults (S3 error answers) go through mitmdump."""
        return self.error_rate > 0

    @property
    def enabled(self) -> bool:
        return self.needs_toxiproxy or self.needs_http_proxy or self.kill is not None

    def to_json(self) -> dict[str, Any]:
        """The value of run.json's ``faults`` key (shape documented in the README, "Soak under faults")."""
        data = asdict(self)
        data["outages"] = [asdict(o) | {"end_s": o.end_s} for o in self.outages]
        if self.kill is not None:
            data["kill"]["times_s"] = list(self.kill.times_s)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultPlan:
        """Read a plan back from run.json (the analyzer and replays use this)."""
        kill = data.get("kill")
        return cls(
            seed=int(data["seed"]),
            chaos=bool(data.get("chaos", False)),
            kill=None
            if kill is None
            else KillPlan(
                every_s=float(kill["every_s"]),
                restart_after_s=float(kill["restart_after_s"]),
                times_s=tuple(float(t) for t in kill["times_s"]),
            ),
            latency_ms=float(data.get("latency_ms", 0.0)),
            reset_rate=float(data.get("reset_rate", 0.0)),
            error_rate=float(data.get("error_rate", 0.0)),
            outages=tuple(Outage(float(o["start_s"]), float(o["length_s"])) for o in data.get("outages", [])),
        )


def parse_probability(text: str | float, *, flag: str) -> float:
    """A fraction of requests/connections, 0..1."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UserError(f"{flag} {text!r} is not a number; give a probability between 0 and 1, e.g. 0.05") from None
    if not 0.0 <= value <= 1.0:
        raise UserError(f"{flag} {text!r} is outside 0..1; give a probability between 0 and 1, e.g. 0.05")
    return value


def parse_latency_ms(text: str | float) -> float:
    """Added latency per S3 response, in milliseconds."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UserError(f"--s3-latency {text!r} is not a number of milliseconds; write it like 100") from None
    if value < 0:
        raise UserError(f"--s3-latency {text!r} is negative; give the added latency in milliseconds, e.g. 100")
    return value


def parse_outage(text: str, duration_s: float) -> Outage:
    """``START+LENGTH`` such as ``20m+2m``; the outage must end before the load does."""
    match = _OUTAGE.match(str(text))
    if not match:
        raise UserError(f"--s3-outage {text!r} is not START+LENGTH; write it like 20m+2m (start 20 min in, 2 min long)")
    start = parse_duration(match.group(1), name="s3-outage START")
    length = parse_duration(match.group(2), name="s3-outage LENGTH")
    if length <= 0:
        raise UserError(f"--s3-outage {text!r} has a zero LENGTH; give it a length such as 20m+2m")
    outage = Outage(start, length)
    if outage.end_s >= duration_s:
        raise UserError(
            f"--s3-outage {text!r} ends at {format_duration(outage.end_s)}, after the run's "
            f"{format_duration(duration_s)}; start it earlier, shorten it, or raise --duration"
        )
    return outage


def kill_times(every_s: float, restart_after_s: float, duration_s: float, seed: int) -> tuple[float, ...]:
    """Jittered kill times: each gap is ``every_s`` ±25 %, and each restart happens before the load stops."""
    rng = random.Random(seed)
    times: list[float] = []
    t = 0.0
    while True:
        t += every_s * rng.uniform(1 - KILL_JITTER, 1 + KILL_JITTER)
        if t + restart_after_s >= duration_s:
            return tuple(times)
        times.append(round(t, 3))


def parse_kill(every: str, restart_after: str | None, duration_s: float, seed: int) -> KillPlan:
    every_s = parse_duration(every, name="kill-every")
    restart_s = (
        DEFAULT_RESTART_AFTER_S if restart_after is None else parse_duration(restart_after, name="restart-after")
    )
    if every_s <= 0:
        raise UserError(f"--kill-every {every!r} is zero; give an interval such as 45s or 3m")
    if restart_s >= every_s * (1 - KILL_JITTER):
        raise UserError(
            f"--restart-after {format_duration(restart_s)} is not shorter than the kill interval "
            f"({every!r} minus {int(KILL_JITTER * 100)} % jitter); shorten it or kill less often"
        )
    times = kill_times(every_s, restart_s, duration_s, seed) if every_s < duration_s else ()
    if not times:
        raise UserError(
            f"--kill-every {every!r} is not shorter than the run's {format_duration(duration_s)} "
            "(with its restart, no kill fits); shorten it or raise --duration"
        )
    return KillPlan(every_s, restart_s, times)


def chaos_defaults(duration_s: float) -> dict[str, Any]:
    """The ``--chaos`` mix scaled to the run: kills every ~2.5 min, two 30 s outages, 100 ms, 2 % S3 errors.

    Connection resets are left out: Toxiproxy's reset_peer cuts long transfers again and again (a 5 MB L1 read
    was cut every ~1.3 MB at rate 0.02), so no L2 compaction could ever finish and every chaos run would fail
    on that alone. ``--chaos --s3-reset-rate P`` adds them back.
    """
    if duration_s < 120:
        raise UserError(f"--chaos needs a run of at least 2m (got {format_duration(duration_s)}); raise --duration")
    every = min(150.0, max(45.0, duration_s / 4))
    length = min(30.0, duration_s / 12)
    outages = [f"{round(duration_s * frac)}s+{round(length)}s" for frac in (1 / 3, 2 / 3)]
    return {
        "kill_every": f"{every:g}s",
        "restart_after": "5s",
        "s3_latency": 100,
        "s3_reset_rate": 0.0,
        "s3_error_rate": 0.02,
        "s3_outage": outages,
    }


def parse_fault_options(
    duration_s: float,
    *,
    kill_every: str | None = None,
    restart_after: str | None = None,
    s3_latency: str | float | None = None,
    s3_reset_rate: str | float | None = None,
    s3_outage: Sequence[str] | None = None,
    s3_error_rate: str | float | None = None,
    chaos: bool = False,
    fault_seed: int | str | None = None,
) -> FaultPlan | None:
    """Validate the fault flags of ``soak.overnight``; None when no fault is asked for.

    With ``chaos`` the preset fills every option the caller did not give (an explicit flag wins,
    e.g. ``--chaos --s3-latency 0`` is the preset without latency).
    """
    if restart_after is not None and kill_every is None and not chaos:
        raise UserError("--restart-after needs --kill-every; add e.g. --kill-every 3m")
    if chaos:
        preset = chaos_defaults(duration_s)
        kill_every = preset["kill_every"] if kill_every is None else kill_every
        restart_after = preset["restart_after"] if restart_after is None else restart_after
        s3_latency = preset["s3_latency"] if s3_latency is None else s3_latency
        s3_reset_rate = preset["s3_reset_rate"] if s3_reset_rate is None else s3_reset_rate
        s3_error_rate = preset["s3_error_rate"] if s3_error_rate is None else s3_error_rate
        s3_outage = s3_outage or preset["s3_outage"]
    try:
        seed = random.SystemRandom().randrange(2**31) if fault_seed in (None, "") else int(fault_seed)
    except (TypeError, ValueError):
        raise UserError(f"--fault-seed {fault_seed!r} is not an integer; give e.g. --fault-seed 42") from None
    outages = tuple(sorted((parse_outage(o, duration_s) for o in s3_outage or ()), key=lambda o: o.start_s))
    for before, after in itertools.pairwise(outages):
        if after.start_s < before.end_s:
            raise UserError(
                f"--s3-outage windows overlap ({format_duration(before.start_s)}+{format_duration(before.length_s)} "
                f"and {format_duration(after.start_s)}+{format_duration(after.length_s)}); give disjoint windows"
            )
    plan = FaultPlan(
        seed=seed,
        chaos=chaos,
        kill=None if kill_every is None else parse_kill(kill_every, restart_after, duration_s, seed),
        latency_ms=0.0 if s3_latency is None else parse_latency_ms(s3_latency),
        reset_rate=0.0 if s3_reset_rate is None else parse_probability(s3_reset_rate, flag="--s3-reset-rate"),
        error_rate=0.0 if s3_error_rate is None else parse_probability(s3_error_rate, flag="--s3-error-rate"),
        outages=outages,
    )
    return plan if plan.enabled else None
