"""The fault layer of a soak: litestream → Toxiproxy → mitmdump → S3 (only the enabled parts), and the kill schedule.

Times given to ``tick`` count from the start of the load, like the plan's. The soak drives both tickers
through one ``FaultDriver`` thread (sub-second resolution, independent of the monitor's tick) and drains
``FaultEventLog`` once per monitor tick for metrics.jsonl. The wiring is in the README, "Soak under faults".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from common.errors import UserError
from soak.faults.events import FaultEvent, FaultEventLog, Kind
from soak.faults.http_errors import MITMPROXY_VERSION, HttpErrorProxy, ensure_mitmdump
from soak.faults.plan import FaultPlan, KillPlan
from soak.faults.toxiproxy import TOXIPROXY_VERSION, Toxiproxy, ensure_toxiproxy

PROXY = "s3"
OUTAGE_MODE = "toxiproxy proxy disabled: connections refused, open ones cut"


class Ticker(Protocol):
    def tick(self, elapsed_s: float) -> list[FaultEvent]: ...


def _host_port(endpoint: str) -> tuple[str, str, int]:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"S3 endpoint {endpoint!r} is not an http(s)://host[:port] URL; fix --endpoint")
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


class FaultLayer:
    """Proxies between litestream and S3 that inject the plan's S3 faults, and take them away again."""

    def __init__(self, plan: FaultPlan, events: FaultEventLog, workdir: Path, cache: Path | None = None) -> None:
        self.plan = plan
        self.events = events
        self.workdir = workdir
        self.cache = cache
        self.toxiproxy: Toxiproxy | None = None
        self.http: HttpErrorProxy | None = None
        self._begun = False
        self._removed = False
        self._outage_state: list[str] = ["pending"] * len(plan.outages)  # pending → on → done

    def start(self, upstream_endpoint: str) -> str:
        """Install (if needed) and start the enabled proxies; returns the endpoint litestream must use.

        Faults stay off until the first ``tick``. On any failure everything started is stopped again.
        """
        scheme, host, port = _host_port(upstream_endpoint)
        if not (self.plan.needs_toxiproxy or self.plan.needs_http_proxy):
            return upstream_endpoint
        if self.plan.needs_http_proxy and scheme != "http":
            raise UserError(
                f"--s3-error-rate needs a plain http:// S3 endpoint (mitmdump answers in its place), got {scheme}://; "
                "use the embedded S3 or a local MinIO, or drop --s3-error-rate"
            )
        # Install both before starting either, so a failed install leaves nothing running.
        tox_bin = ensure_toxiproxy(self.cache) if self.plan.needs_toxiproxy else None
        mitm_bin = ensure_mitmdump(self.cache) if self.plan.needs_http_proxy else None
        self.workdir.mkdir(parents=True, exist_ok=True)
        endpoint = upstream_endpoint
        try:
            if mitm_bin is not None:
                self.http = HttpErrorProxy(mitm_bin, endpoint, self.workdir, rate=0.0, seed=self.plan.seed)
                endpoint = f"http://127.0.0.1:{self.http.start()}"
                host, port = "127.0.0.1", int(urlsplit(endpoint).port or 0)
            if tox_bin is not None:
                self.toxiproxy = Toxiproxy(tox_bin, self.workdir / "toxiproxy.log")
                self.toxiproxy.start()
                listen = self.toxiproxy.create_proxy(PROXY, f"{host}:{port}")
                endpoint = f"{scheme}://127.0.0.1:{listen}"
        except BaseException:
            self.stop()
            raise
        return endpoint

    def describe(self) -> dict[str, Any]:
        """The running chain, for run.json (``faults_chain``): which proxies, versions and loopback ports."""
        chain: dict[str, Any] = {}
        if self.http is not None:
            chain["mitmproxy"] = {"version": MITMPROXY_VERSION, "listen": f"127.0.0.1:{self.http.port}"}
        if self.toxiproxy is not None:
            chain["toxiproxy"] = {"version": TOXIPROXY_VERSION, "api": self.toxiproxy.api}
        return chain

    def tick(self, elapsed_s: float) -> list[FaultEvent]:
        """Apply the schedule at ``elapsed_s`` into the load; returns the events this produced."""
        if self._removed:
            return []
        new: list[FaultEvent] = []
        if not self._begun:
            self._begun = True
            new += self._begin_whole_run_faults()
        for n, (outage, state) in enumerate(zip(self.plan.outages, self._outage_state, strict=True), start=1):
            if state == "pending" and outage.start_s <= elapsed_s < outage.end_s:
                new.append(self._outage(n, on=True))
            elif state != "done" and elapsed_s >= outage.end_s:
                if state == "on":
                    new.append(self._outage(n, on=False))
                else:
                    self._outage_state[n - 1] = "done"  # the whole window fell between two ticks
        return new + self._collect_injections()

    def _begin_whole_run_faults(self) -> list[FaultEvent]:
        plan, new = self.plan, []
        if self.toxiproxy is not None and plan.latency_ms > 0:
            self.toxiproxy.add_toxic(PROXY, "latency", "latency", {"latency": int(plan.latency_ms), "jitter": 0})
            new.append(
                self.events.record("latency", "start", latency_ms=plan.latency_ms, via=f"toxiproxy {TOXIPROXY_VERSION}")
            )
        if self.toxiproxy is not None and plan.reset_rate > 0:
            self.toxiproxy.add_toxic(PROXY, "reset", "reset_peer", {"timeout": 0}, toxicity=plan.reset_rate)
            new.append(self.events.record("reset", "start", rate=plan.reset_rate, per="connection", toxic="reset_peer"))
        if self.http is not None:
            self.http.set_rate(plan.error_rate)
            new.append(
                self.events.record(
                    "http_error",
                    "start",
                    rate=plan.error_rate,
                    answers=["503 SlowDown", "500 InternalError", "429 TooManyRequests", "408 RequestTimeout"],
                )
            )
        return new

    def _outage(self, n: int, *, on: bool) -> FaultEvent:
        assert self.toxiproxy is not None
        outage = self.plan.outages[n - 1]
        self.toxiproxy.set_enabled(PROXY, not on)
        self._outage_state[n - 1] = "on" if on else "done"
        if on:
            return self.events.record("outage", "start", n=n, planned_s=outage.length_s, mode=OUTAGE_MODE)
        return self.events.record("outage", "end", n=n, planned_s=outage.length_s)

    def _collect_injections(self) -> list[FaultEvent]:
        if self.http is None:
            return []
        return [
            self.events.record(
                "http_error", "inject", at=e.time, status=e.status, code=e.code, method=e.method, path=e.path
            )
            for e in self.http.new_injections()
        ]

    def remove_all(self) -> list[FaultEvent]:
        """Every fault off (the proxies keep forwarding): call after the load stops, before catch-up and restore."""
        if self._removed:
            return []
        new = self._collect_injections()
        for n, state in enumerate(self._outage_state, start=1):
            if state == "on":
                new.append(self._outage(n, on=False))
        self._removed = True
        if self.toxiproxy is not None:
            self.toxiproxy.reset()
        if self.http is not None:
            self.http.set_rate(0.0)
            time.sleep(0.2)  # let an answer being injected right now reach the log
            new += [
                self.events.record(
                    "http_error", "inject", at=e.time, status=e.status, code=e.code, method=e.method, path=e.path
                )
                for e in self.http.new_injections()
            ]
        if self._begun:
            whole_run: tuple[tuple[Kind, bool], ...] = (
                ("latency", self.plan.latency_ms > 0 and self.toxiproxy is not None),
                ("reset", self.plan.reset_rate > 0 and self.toxiproxy is not None),
                ("http_error", self.http is not None),
            )
            new += [self.events.record(kind, "end", removed=True) for kind, on in whole_run if on]
        return new

    def stop(self) -> None:
        """Stop the proxies (at the end and on interrupt); safe to call twice and after a failed start."""
        for proxy in (self.toxiproxy, self.http):
            if proxy is not None:
                proxy.stop()
        self.toxiproxy = None
        self.http = None


class KillScheduler:
    """SIGKILLs litestream at the plan's times through ``kill()`` and brings it back ``restart_after`` later.

    The callbacks are the soak's: ``kill`` SIGKILLs the litestream process group, ``restart`` starts it
    again appending to its log. Either may return a mapping (e.g. ``{"pid": 123}``) that goes into the event.
    ``is_down`` tells the crash detector that litestream is absent on purpose.
    """

    def __init__(
        self,
        plan: KillPlan,
        events: FaultEventLog,
        kill: Callable[[], Mapping[str, Any] | None],
        restart: Callable[[], Mapping[str, Any] | None],
    ) -> None:
        self.plan = plan
        self.events = events
        self._kill = kill
        self._restart = restart
        self._next = 0
        self._down_since: float | None = None
        self._lock = threading.Lock()

    @property
    def is_down(self) -> bool:
        return self._down_since is not None

    @property
    def kills(self) -> int:
        return self._next

    def tick(self, elapsed_s: float) -> list[FaultEvent]:
        with self._lock:
            new: list[FaultEvent] = []
            if self._down_since is not None and elapsed_s >= self._down_since + self.plan.restart_after_s:
                new.append(self._bring_back(elapsed_s))
            if (
                self._down_since is None
                and self._next < len(self.plan.times_s)
                and elapsed_s >= self.plan.times_s[self._next]
            ):
                scheduled = self.plan.times_s[self._next]
                self._next += 1
                info = self._kill() or {}
                self._down_since = elapsed_s
                new.append(
                    self.events.record("kill", "inject", n=self._next, scheduled_s=scheduled, signal="SIGKILL", **info)
                )
            return new

    def finish(self) -> list[FaultEvent]:
        """No more kills; if litestream is down right now, start it again at once (before catch-up)."""
        with self._lock:
            self._next = len(self.plan.times_s)
            if self._down_since is None:
                return []
            return [self._bring_back(None)]

    def _bring_back(self, elapsed_s: float | None) -> FaultEvent:
        info = self._restart() or {}
        down = None if elapsed_s is None or self._down_since is None else round(elapsed_s - self._down_since, 3)
        self._down_since = None
        return self.events.record("restart", "inject", n=self._next, down_s=down, **info)


class FaultDriver:
    """A daemon thread that ticks every ticker each ``period`` seconds, counting from ``start()`` (the load start).

    An exception in a ticker stops the driver; ``stop()`` (or ``check()``) raises it in the soak's thread.
    """

    def __init__(
        self, tickers: Sequence[Ticker], period: float = 0.5, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.tickers = list(tickers)
        self.period = period
        self._clock = clock
        self._zero = 0.0
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        self._zero = self._clock()
        self._thread = threading.Thread(target=self._run, name="fault-driver", daemon=True)
        self._thread.start()

    def elapsed(self) -> float:
        return self._clock() - self._zero

    def _run(self) -> None:
        while not self._halt.is_set():
            try:
                for ticker in self.tickers:
                    ticker.tick(self.elapsed())
            except BaseException as exc:  # handed to the soak's thread by check()/stop()
                self.error = exc
                return
            self._halt.wait(self.period)

    def check(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            if isinstance(error, UserError):
                raise error
            raise UserError(f"the fault driver failed: {error!r}") from error

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.check()
