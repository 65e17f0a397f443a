"""``--restore-every``: restore the replica into a scratch file while the load runs, and judge it independently.

Litestream's own TXIDs and lag share the blind spot of a build that stops noticing WAL changes (its staged TXID
stalls with the upload), and a graceful shutdown sync hides it at the end. A restore taken during the load does
not: each cycle checks that the restore passes integrity_check, holds exactly the source's rows up to some id M
(soak.run.replica_view), that M is at least the source's max id one sync interval plus a slack before the restore
started, and that M never goes backwards. Each cycle is one line of replica-restores.jsonl.

A thread runs the cycles so the monitor's ticks are never late; it also samples the source's max id every
``SAMPLE_S`` (read-only, short busy timeout), which is what the floor of each cycle comes from.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.processes import Child
from common.timestamps import iso_utc, parse_utc
from soak.faults.events import read_fault_events
from soak.run.replica_view import LITESTREAM_SYNC_INTERVAL_S, max_id, view_of

SAMPLE_S = 0.5
# On top of the sync interval: one upload's round trip and a busy machine's scheduling.
FLOOR_SLACK_S = 5.0
# Fault events that legitimately hold the replica back: a cycle whose floor window holds one is not judged on its floor.
_HOLDING_BACK = {("kill", "inject"), ("restart", "inject"), ("outage", "start"), ("outage", "end")}
FAULT_EXCUSE_S = 30.0

# Restores the replica into the given file; returns litestream restore's exit code.
RestoreFn = Callable[[Path], int]


def age_threshold_s(sync_s: float = LITESTREAM_SYNC_INTERVAL_S, slack_s: float = FLOOR_SLACK_S) -> float:
    """replica_age must stay at or below this: twice (sync interval + slack), so one pause in the writes fits."""
    return 2 * (sync_s + slack_s)


@dataclass
class PeriodicRestores:
    """Cycles of restore-and-check; ``cycle()`` is one of them, ``start()``/``stop()`` run them every ``every_s``."""

    source: Path
    scratch: Path
    out: Path  # replica-restores.jsonl
    restore: RestoreFn
    every_s: float
    faults_log: Path | None = None
    # Set when the restores go through the S3 fault proxies (outages, errors, resets): a restore that fails under them
    # is not judged; one that succeeds is judged in full.
    restore_faults: str | None = None
    sync_s: float = LITESTREAM_SYNC_INTERVAL_S
    slack_s: float = FLOOR_SLACK_S
    cycles: list[dict[str, Any]] = field(default_factory=list)
    _samples_t: list[float] = field(default_factory=list)
    _samples_id: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _highest: int | None = None
    _child: Child | None = None  # the restore in flight (``track``), so ``stop`` can end its process group
    _cut_off: bool = False  # ``stop`` killed the restore in flight: that cycle is not judged

    # -- the source's max id over time
    def sample(self, now: float | None = None) -> None:
        """Record the source's max load_test id now (a busy source is skipped: the next sample comes soon)."""
        with contextlib.suppress(Exception):
            top = max_id(self.source, busy_timeout_s=0.5)
            if top is not None:
                self._samples_t.append(time.time() if now is None else now)
                self._samples_id.append(top)

    def floor_at(self, t: float) -> int | None:
        """The source's max id as last sampled at or before ``t`` (None: no sample that early)."""
        at = bisect.bisect_right(self._samples_t, t)
        return self._samples_id[at - 1] if at else None

    # -- one cycle
    def cycle(self) -> dict[str, Any]:
        """Restore, check, append one line to replica-restores.jsonl, and return it."""
        started = time.time()
        floor_t = started - self.sync_s - self.slack_s
        floor = self.floor_at(floor_t)
        for suffix in ("", "-wal", "-shm"):
            self.scratch.with_name(self.scratch.name + suffix).unlink(missing_ok=True)
        try:
            code = self.restore(self.scratch)
        except Exception as exc:  # a restore that hangs past its timeout is a failed cycle, not a dead thread
            code, error = -1, str(exc) or type(exc).__name__
        else:
            error = "" if code == 0 else f"litestream restore exited {code}"
        seconds = time.time() - started
        self._child = None
        if self._cut_off:  # stop() ended this restore: it says nothing about the replica
            return {"n": len(self.cycles) + 1, "t": iso_utc(started), "cut_off_by_stop": True}
        events = read_fault_events(self.faults_log).events if self.faults_log else []
        entry: dict[str, Any] = {
            "n": len(self.cycles) + 1,
            "t": iso_utc(started),
            "restore_s": round(seconds, 3),
            "exit_code": code,
            "floor_id": floor,
            "floor_t": iso_utc(floor_t),
        }
        excuse = _excuse(events, floor_t - FAULT_EXCUSE_S, started)
        window = fault_window(events, started, started + seconds) if error and self.restore_faults else None
        if error and window:
            # Only a fault active while the restore ran excuses its failure; any other failure is the replica's.
            entry.update(
                ok=True, problem=None, restore_excused_by=f"{error} through {self.restore_faults} during {window}"
            )
            return self._keep(entry)
        if error:
            entry.update(ok=False, problem=error)
            return self._keep(entry)
        view = view_of(self.source, self.scratch, events)
        entry.update(view.to_json())
        top = view.restored_max_id
        # At the restore's end: it lists the replica after it starts, so rows newer than ``started`` can be in it.
        finished = started + seconds
        entry["age_s"] = None if view.newest_written is None else round(finished - view.newest_written, 3)
        problems = [p for p in (view.problem(),) if p]
        if excuse:
            entry["floor_excused_by"] = excuse
        elif floor is not None and (top or 0) < floor:
            problems.append(
                f"restore holds ids up to {top}, but the source had id {floor} committed "
                f"{self.sync_s + self.slack_s:g}s before the restore started: the replica stalled"
            )
        if self._highest is not None and (top or 0) < self._highest:
            problems.append(f"restore went backwards: ids up to {top} after an earlier cycle held {self._highest}")
        self._highest = max(self._highest or 0, top or 0)
        entry["ok"] = not problems
        entry["problem"] = "; ".join(problems) or None
        return self._keep(entry)

    def _keep(self, entry: dict[str, Any]) -> dict[str, Any]:
        self.cycles.append(entry)
        with self.out.open("a") as fh:
            fh.write(json.dumps(entry) + "\n")
        return entry

    # -- the thread
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="periodic-restores", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        next_at = time.monotonic() + self.every_s
        while not self._stop.is_set():
            self.sample()
            if time.monotonic() >= next_at:
                self.cycle()
                next_at = time.monotonic() + self.every_s
            self._stop.wait(SAMPLE_S)

    def track(self, child: Child) -> None:
        """Called with each restore's child as it starts (soak.run.replica_steps passes it to run_to_log)."""
        self._child = child

    def stop(self, timeout_s: float = 120.0, *, kill: bool = False) -> None:
        """Ask the thread to end and wait for a cycle in flight; ``kill`` (Ctrl+C, cleanup) ends its restore first.

        A restore still running after ``timeout_s`` is killed too (its process group: it runs in its own session, so
        nothing else would end it) and the thread joined again; a cycle cut off so is not judged."""
        self._stop.set()
        if kill:
            self._kill_in_flight()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                self._kill_in_flight()
                self._thread.join(10.0)

    def _kill_in_flight(self) -> None:
        child = self._child
        if child is not None and child.alive():
            self._cut_off = True
            child.kill()

    # -- the verdict over the cycles
    def summary(self) -> tuple[bool, str, dict[str, Any]]:
        """(passed, detail, value) of the ``periodic_restore`` check; no cycle at all is a failure."""
        n = len(self.cycles)
        failed = [c for c in self.cycles if not c.get("ok")]
        ages = [c["age_s"] for c in self.cycles if c.get("age_s") is not None]
        value = {"cycles": n, "failed": len(failed), "max_age_s": max(ages) if ages else None}
        if not n:
            return False, f"no periodic restore finished (every {self.every_s:g}s); the load was too short", value
        refused = sum(1 for c in self.cycles if c.get("restore_excused_by"))
        if refused == n:
            return False, f"none of {n} periodic restores got through the S3 faults: nothing judged", value
        if failed:
            first = failed[0]
            return (
                False,
                f"{len(failed)} of {n} periodic restores failed; cycle {first['n']}: {first['problem']}",
                value,
            )
        top = self.cycles[-1].get("restored_max_id")
        excused = sum(1 for c in self.cycles if c.get("floor_excused_by"))
        detail = f"{n} periodic restores, each a clean prefix of the source, up to id {top} at the last"
        if excused:
            detail += f"; {excused} not judged on their floor (a fault held the replica back)"
        if refused:
            detail += f"; {refused} failed under the S3 faults and were not judged"
        return True, detail, value

    def age_check(self) -> tuple[bool | None, str, float | None]:
        """(passed, detail, max age) of the ``replica_age`` check; passed is None when every restore was next to a
        fault: the age was not judged, so the run cannot pass on it (fail closed)."""
        limit = age_threshold_s(self.sync_s, self.slack_s)
        ages = [c["age_s"] for c in self.cycles if c.get("age_s") is not None and not c.get("floor_excused_by")]
        if not ages and any(c.get("floor_excused_by") for c in self.cycles):
            excused = sum(1 for c in self.cycles if c.get("floor_excused_by"))
            window = FAULT_EXCUSE_S + self.sync_s + self.slack_s
            return (
                None,
                f"all {excused} periodic restores came within {window:g}s of a kill, restart or outage; "
                "space the faults wider apart than that to judge it",
                None,
            )
        if not ages:
            return False, "no periodic restore gave a replica age", None
        worst = max(ages)
        return worst <= limit, f"replica age max {worst:.1f}s over {len(ages)} restores; must be <= {limit:g}s", worst


# Faults that can make a restore fail while they last (start..end windows; kills and injected errors are added).
_WINDOW_KINDS = {"outage", "latency", "reset", "http_error"}


def fault_window(events: list[Any], since: float, until: float) -> str | None:
    """The fault window of faults.log that overlaps [since, until], named (None: no fault was active then).

    Windows: an outage's start..end, a whole-run latency/reset/error-rate fault's start..end (the whole run is one
    window, and the name says so), an injected S3 error at its instant, a kill until its restart."""
    opened: dict[tuple[str, Any], float] = {}
    windows: list[tuple[str, float, float]] = []
    for e in events:
        t = parse_utc(e.t)
        if t is None:
            continue
        n = e.detail.get("n")
        label = f"{e.kind}{'' if n is None else f' {n}'}"
        if e.kind in _WINDOW_KINDS and e.event == "start":
            if e.kind == "http_error" and not e.detail.get("rate"):
                continue  # the error proxy was up but injecting nothing
            opened[(e.kind, n)] = t
        elif e.kind in _WINDOW_KINDS and e.event == "end" and (e.kind, n) in opened:
            begin = opened.pop((e.kind, n))
            windows.append((_window_name(e.kind, label, begin, t), begin, t))
        elif e.event == "inject" and e.kind == "http_error":
            windows.append((f"an injected S3 error at {e.t}", t, t))
        elif e.event == "inject" and e.kind == "kill":
            opened[("kill", n)] = t
        elif e.event == "inject" and e.kind == "restart" and ("kill", n) in opened:
            windows.append((f"kill {n} (down until its restart)", opened.pop(("kill", n)), t))
    for (kind, n), begin in opened.items():  # still open when the restore ran
        label = f"{kind}{'' if n is None else f' {n}'}"
        windows.append((_window_name(kind, label, begin, None), begin, float("inf")))
    for name, begin, end in windows:
        if begin <= until and end >= since:
            return name
    return None


def _window_name(kind: str, label: str, begin: float, end: float | None) -> str:
    if kind in ("latency", "reset", "http_error"):
        return f"the {label} fault active for the whole run (the whole run is its window)"
    return f"{label} ({iso_utc(begin)} to {'now' if end is None else iso_utc(end)})"


def _excuse(events: list[Any], since: float, until: float) -> str | None:
    """``kill 3`` when a fault that holds the replica back happened in [since, until]."""
    for e in events:
        t = parse_utc(e.t)
        if t is not None and since <= t <= until and (e.kind, e.event) in _HOLDING_BACK:
            n = e.detail.get("n")
            return f"{e.kind}{'' if n is None else f' {n}'} {e.event}"
    return None
