"""``go test -json`` of Litestream's LTX behaviour suites, read into profiles and their assertion lines.

A profile is a leaf test: ``TestLTXBehavior/low-volume`` (a subtest per load profile) or
``TestLTXBehavior_NoExcessiveSnapshots`` (no subtests). The suite's assertions (tests/integration/ltx_assertions.go
and ltx_behavior_test.go) log one line each, ``[l0-page-count] PASS: ...`` / ``FAIL: ...`` / ``Skipped: ...``;
``t.Errorf`` details without a verdict word (``[snapshot-cadence] Snapshot interval #2: ...``) belong to the
assertion they name. ``t.Logf`` and ``t.Errorf`` print alike, so the words are what tell them apart.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

AssertionStatus = Literal["pass", "fail", "skip", "detail"]
RunStatus = Literal["running", "pass", "fail", "skip"]

# "    ltx_assertions.go:282:   [l0-page-count] FAIL: 8/51 ..." (the file:line prefix is go test's, since Go 1.14)
_ASSERTION = re.compile(r"^\s*(?:[\w.-]+\.go:\d+: )?\s*\[([a-z0-9][A-Za-z0-9-]*)\]\s+(.*?)\s*$")
_PROFILE = re.compile(r"--- Profile: (\S+) ---")
_GO_PREFIX = re.compile(r"^\s*[\w.-]+\.go:\d+: ?")
_TAIL_LINES = 6


def classify(text: str) -> AssertionStatus:
    """The verdict word after ``[name]``: PASS:, FAIL:, Skipped:/"skipping"; anything else is a detail line."""
    if text.startswith("PASS:"):
        return "pass"
    if text.startswith("FAIL:"):
        return "fail"
    if text.startswith("Skipped:") or "skipping" in text.lower():
        return "skip"
    return "detail"


def parse_assertion(output: str) -> Assertion | None:
    """An assertion line of the suite's output, or None for any other line."""
    match = _ASSERTION.match(output.rstrip("\n"))
    if not match:
        return None
    name, text = match.groups()
    return Assertion(name, classify(text), f"[{name}] {text}")


@dataclass(frozen=True)
class Assertion:
    """One assertion line: its name (``l0-page-count``), verdict and the line as the suite printed it."""

    name: str
    status: AssertionStatus
    line: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "line": self.line}


@dataclass
class TestRun:
    """One run of one test (``-count N`` runs each test N times; ``iteration`` says which)."""

    test: str
    iteration: int
    status: RunStatus = "running"
    elapsed_s: float | None = None
    profile: str | None = None  # the suite's "--- Profile: NAME ---" line
    has_subtests: bool = False
    assertions: list[Assertion] = field(default_factory=list)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=_TAIL_LINES))  # last output lines, for a failure

    @property
    def name(self) -> str:
        return self.profile or self.test.rsplit("/", 1)[-1]

    def counts(self) -> dict[str, int]:
        tally = {"pass": 0, "fail": 0, "skip": 0}
        for assertion in self.assertions:
            if assertion.status in tally:
                tally[assertion.status] += 1
        return tally

    def failed_lines(self) -> list[str]:
        return [a.line for a in self.assertions if a.status == "fail"]

    def why(self) -> str:
        """The last lines the test printed (its t.Fatalf or t.Skip reason), when no assertion line says it."""
        return " | ".join(line for line in self.tail if line)

    def as_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "profile": self.name,
            "iteration": self.iteration,
            "status": self.status,
            "elapsed_s": self.elapsed_s,
            "assertion_counts": self.counts(),
            "assertions": [a.as_json() for a in self.assertions],
            "last_output": list(self.tail) if self.status != "pass" else [],
        }


@dataclass
class SuiteStream:
    """The state of one or more ``go test -json`` streams, folded event by event."""

    runs: list[TestRun] = field(default_factory=list)
    packages: dict[str, str] = field(default_factory=dict)  # import path -> pass | fail | skip
    build_failures: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)  # non-JSON lines (go prints build errors as text)
    _current: dict[str, TestRun] = field(default_factory=dict)

    def profiles(self) -> list[TestRun]:
        """The leaf test runs, in the order they started."""
        return [run for run in self.runs if not run.has_subtests]

    def running(self) -> list[TestRun]:
        return [run for run in self.profiles() if run.status == "running"]

    def feed(self, line: str) -> list[str]:
        """Fold one line of output into the state; the progress lines it is worth showing live."""
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            if line.strip():
                self.stray.append(line.rstrip("\n"))
            return []
        if not isinstance(event, dict):
            return []
        return self._event(event)

    def _event(self, event: dict[str, Any]) -> list[str]:
        action, test, package = event.get("Action"), event.get("Test"), event.get("Package")
        if action == "build-fail":
            self.build_failures.append(str(event.get("ImportPath", "?")))
            return []
        if action == "build-output":
            self.stray.append(str(event.get("Output", "")).rstrip("\n"))
            return []
        if not test:
            if package and action in ("pass", "fail", "skip"):
                self.packages[str(package)] = str(action)
            return []
        name = str(test)
        if action == "run":
            return self._start(name)
        run = self._current.get(name)
        if run is None:
            return []
        if action == "output":
            return self._output(run, str(event.get("Output", "")))
        if action in ("pass", "fail", "skip"):
            run.status = action
            elapsed = event.get("Elapsed")
            run.elapsed_s = float(elapsed) if isinstance(elapsed, int | float) else None
            if run.has_subtests:
                return []
            counts = run.counts()
            label = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[action]
            return [
                f"{label} {run.test} ({run.elapsed_s}s): assertions {counts['pass']} passed, {counts['fail']} failed,"
                f" {counts['skip']} skipped"
            ]
        return []

    def _start(self, name: str) -> list[str]:
        iteration = 1 + sum(1 for run in self.runs if run.test == name)
        run = TestRun(name, iteration)
        self.runs.append(run)
        self._current[name] = run
        if "/" in name:
            parent = self._current.get(name.rsplit("/", 1)[0])
            if parent is not None:
                parent.has_subtests = True
        return [f"RUN  {name}" + (f" (run {iteration})" if iteration > 1 else "")]

    def _output(self, run: TestRun, output: str) -> list[str]:
        text = output.rstrip("\n")
        if text.startswith(("=== ", "--- PASS", "--- FAIL", "--- SKIP")) or text.strip() in ("PASS", "FAIL"):
            return []
        profile = _PROFILE.search(text)
        if profile and run.profile is None:
            run.profile = profile.group(1)
        run.tail.append(_GO_PREFIX.sub("", text).strip())
        assertion = parse_assertion(text)
        if assertion is None:
            return []
        run.assertions.append(assertion)
        return [f"  {run.test} {assertion.line}"]


def read_stream(lines: list[str] | Any) -> SuiteStream:
    """A recorded ``go test -json`` stream (a saved .jsonl) folded into a SuiteStream."""
    stream = SuiteStream()
    for line in lines:
        stream.feed(line)
    return stream
