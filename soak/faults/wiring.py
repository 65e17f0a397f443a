"""The fault layer as ``soak.overnight`` drives it: one object from the flags to the last cleanup.

The soak calls, in this order (README, "Soak under faults"): ``install`` before anything starts,
``start_proxies`` before populate/replicate (litestream.yml then points at the proxied endpoint), ``begin`` when
the load starts, ``tick`` on each monitor tick, ``remove`` after the load stops and before catch-up/restore,
and ``stop`` in the cleanup path, whatever happened.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.processes import Child
from common.units import format_duration
from soak.faults.events import FaultEventLog
from soak.faults.http_errors import ensure_mitmdump
from soak.faults.layer import FaultDriver, FaultLayer, KillScheduler
from soak.faults.plan import FaultPlan
from soak.faults.toxiproxy import ensure_toxiproxy
from soak.rundir import RunDir


def _rate(p: float) -> str:
    return f"{p * 100:g} %"


def describe_plan(plan: FaultPlan) -> str:
    """One line for the banner: which faults are on."""
    parts = []
    if plan.kill is not None:
        k = plan.kill
        parts.append(
            f"SIGKILL litestream every ~{format_duration(k.every_s)} ({len(k.times_s)} kills, "
            f"restart after {format_duration(k.restart_after_s)})"
        )
    if plan.outages:
        windows = ", ".join(f"{format_duration(o.start_s)}+{format_duration(o.length_s)}" for o in plan.outages)
        parts.append(f"S3 outage {windows}")
    if plan.latency_ms > 0:
        parts.append(f"S3 latency {plan.latency_ms:g} ms")
    if plan.reset_rate > 0:
        parts.append(f"S3 resets {_rate(plan.reset_rate)} of connections")
    if plan.error_rate > 0:
        parts.append(f"S3 503/500 answers {_rate(plan.error_rate)} of requests")
    preset = "chaos preset: " if plan.chaos else ""
    return f"{preset}{'; '.join(parts)}; seed {plan.seed}"


def check_target(plan: FaultPlan | None, *, replica: str, embedded: bool, endpoint: str | None) -> None:
    """S3 faults sit between litestream and an S3 endpoint URL; a file replica has none (kills work with either)."""
    if plan is None or not (plan.needs_toxiproxy or plan.needs_http_proxy):
        return
    if replica == "file":
        raise UserError(
            "--s3-latency/--s3-reset-rate/--s3-outage/--s3-error-rate/--chaos need an S3 replica "
            "(Toxiproxy sits in front of S3 only); drop --replica file, or use only --kill-every"
        )
    if not embedded and not endpoint:
        raise UserError(
            "S3 faults need an endpoint URL to put the proxies in front of; give --endpoint, "
            "or omit --bucket to use the embedded S3"
        )


@dataclass
class SoakFaults:
    """The plan of one run and the live pieces that carry it out (all None until their step)."""

    plan: FaultPlan
    cache: Path | None = None
    events: FaultEventLog | None = None
    layer: FaultLayer | None = None
    kills: KillScheduler | None = None
    driver: FaultDriver | None = None
    # Held while litestream is killed or restarted, and while the monitor asks whether it crashed,
    # so a restart half-done is never mistaken for a crash.
    lifecycle: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def install(self) -> list[str]:
        """Install the proxies the plan needs (cached after the first time) before any process starts."""
        done = []
        if self.plan.needs_toxiproxy:
            done.append(f"toxiproxy {ensure_toxiproxy(self.cache)}")
        if self.plan.needs_http_proxy:
            done.append(f"mitmdump {ensure_mitmdump(self.cache)}")
        return done

    def start_proxies(self, dirs: RunDir, endpoint: str | None) -> str | None:
        """Open faults.log and start the proxies in front of ``endpoint``; the endpoint litestream must use."""
        self.events = FaultEventLog(dirs.faults_log, run_started=time.time())
        if endpoint is None:  # file replica: kills only
            return None
        self.layer = FaultLayer(self.plan, self.events, dirs.faults_dir, cache=self.cache)
        return self.layer.start(endpoint)

    def chain(self) -> dict[str, Any] | None:
        """run.json ``faults_chain``: the proxies that run, their versions and loopback ports."""
        return self.layer.describe() if self.layer is not None else None

    def begin(self, litestream: Child) -> None:
        """The load started: the plan's clock starts now, and the fault thread with it."""
        assert self.events is not None
        self.events.run_started = time.time()  # elapsed_s in faults.log counts from the load, like metrics.jsonl
        tickers: list[Any] = [self.layer] if self.layer is not None else []
        if self.plan.kill is not None:
            self.kills = KillScheduler(
                self.plan.kill,
                self.events,
                kill=lambda: self._kill(litestream),
                restart=lambda: self._restart(litestream),
            )
            tickers.append(self.kills)
        self.driver = FaultDriver(tickers)
        self.driver.start()

    def _kill(self, litestream: Child) -> dict[str, Any]:
        with self.lifecycle:
            pid = litestream.pid
            litestream.kill()  # deliberate: marks the child, so it is not judged a crash
            if litestream.proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    litestream.proc.wait(timeout=10)  # gone before a restart could start a second one
            return {"pid": pid, "exit_code": litestream.exit_code()}

    def _restart(self, litestream: Child) -> dict[str, Any]:
        with self.lifecycle:
            litestream.start()  # appends to logs/litestream.log
            return {"pid": litestream.pid}

    def crashed(self, child: Child) -> bool:
        """``child.crashed()``, but never while a kill or restart of it is under way."""
        with self.lifecycle:
            return child.crashed()

    @property
    def kill_count(self) -> int:
        return self.kills.kills if self.kills is not None else 0

    def tick(self, _metrics: dict[str, Any]) -> list[dict[str, Any]]:
        """Monitor tick hook: a failure of the fault thread ends the run; the events since the last tick."""
        if self.driver is not None:
            self.driver.check()
        return self.events.drain() if self.events is not None else []

    def remove(self) -> None:
        """After the load stops: no more faults, litestream up again, proxies forwarding cleanly."""
        if self.driver is not None:
            self.driver.stop()
        if self.kills is not None:
            self.kills.finish()
        if self.layer is not None:
            self.layer.remove_all()

    def halt(self) -> None:
        """Cleanup, first part: stop the fault thread, so it cannot restart litestream once the soak stopped it."""
        if self.driver is not None:
            with contextlib.suppress(UserError):  # a fault-thread failure was reported already, or the run ends anyway
                self.driver.stop()

    def stop(self) -> None:
        """Cleanup on every path, after litestream stopped: the fault thread (again, harmless) and the proxies."""
        self.halt()
        if self.layer is not None:
            self.layer.stop()
