"""Litestream's own ``go test -race ./...``, run in the checkout and summarised from ``go test -json`` events.

The suite takes ten minutes or more (building every test binary with -race first), so progress is streamed: a line
when a package's tests start and when it finishes, and a heartbeat (elapsed, packages, tests passed) while go is
quiet.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from common.errors import UserError
from common.processes import group_ended_on_exit
from common.secrets import without_tokens
from common.units import format_duration
from release.build.toolchain import go_env

# -count defeats the test cache (any -count does): the gate's evidence must come from this run, not an earlier one.
# 1 locally; Litestream's nightly race sweep runs -count=3 (--go-test-count 3) to shake out flaky races.
GO_TEST_ARGS = ["test", "-race", "-json"]
TIMEOUT_MIN_PER_COUNT = 30
# The S3 client's own unit tests build clients from the environment; AWS_CA_BUNDLE (set on some machines for the
# engineer's own tooling) points them at a bundle they then fail to load. The suite must not see the engineer's AWS.
_STRIPPED_ENV_PREFIXES = ("AWS_",)
HEARTBEAT_S = 30.0
# Root ignores file modes, so this subtest's chmod 000 does not deny anything and it fails (v0.5.16; its sibling in
# file/ skips itself as root). The gate does not skip it on its own: the maintainer passes the flag, and it is recorded.
ROOT_FAILS = "TestReplica_UploadLTXFile_OpenErrorReturnsLTXError/PermissionDenied"
ROOT_SKIP_FLAG = f"--go-test-skip '{ROOT_FAILS}'"


@dataclass
class GoTestSummary:
    """Per-package outcome of one ``go test -json`` run."""

    packages: dict[str, str] = field(default_factory=dict)  # import path -> pass | fail | skip (no test files)
    failed_tests: list[str] = field(default_factory=list)  # "pkg TestName"
    tests: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0, "skip": 0})  # incl. subtests
    build_failures: list[str] = field(default_factory=list)  # import paths whose test binary did not build
    exit_code: int | None = None
    skip_regex: str | None = None
    repeat: int = 1  # go test -count
    as_root: bool = False
    started: set[str] = field(default_factory=set)  # packages whose test binary has started

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.packages.values() if value == outcome)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and self.count("fail") == 0 and self.count("pass") > 0

    def key_figure(self) -> str:
        text = f"{self.count('pass')} packages passed, {self.count('fail')} failed, {self.count('skip')} without tests"
        text += f"; {self.tests['pass']} tests passed, {self.tests['skip']} skipped"
        if self.skip_regex:
            text += f"; -skip {self.skip_regex}"
        if self.repeat > 1:
            text += f"; -count={self.repeat}"
        return text

    def reason(self) -> str | None:
        if self.passed:
            return None
        failed = sorted(pkg for pkg, outcome in self.packages.items() if outcome == "fail")
        if failed:
            leaves = self.failing_leaves()
            tests = f"; failing tests: {', '.join(leaves[:10])}" if leaves else ""
            return f"failed packages: {', '.join(failed)}{tests}{self.root_hint()}"
        if not self.packages:
            return f"go test reported no packages (exit {self.exit_code}); see go-test.stderr.log"
        return f"go test exited {self.exit_code} without a failing package; see go-test.stderr.log"

    def root_hint(self) -> str:
        """As root, a failed permission subtest is root's doing: name the flag that skips it."""
        if not self.as_root or not any(test.endswith(f" {ROOT_FAILS}") for test in self.failed_tests):
            return ""
        return f" (running as root, which ignores file modes: pass {ROOT_SKIP_FLAG}, or run the gate as a normal user)"

    def progress(self, elapsed_s: float) -> str:
        """The heartbeat: how long, how many packages are done of those started, how many tests passed."""
        done = len(self.packages)
        return (
            f"… go test {format_duration(elapsed_s)}: {done} packages done, {len(self.started - set(self.packages))} "
            f"running; {self.tests['pass']} tests passed, {self.tests['fail']} failed"
        )

    def failing_leaves(self) -> list[str]:
        """Failed tests minus parents that failed only because a subtest did (go reports both)."""
        return [
            test for test in self.failed_tests if not any(other.startswith(f"{test}/") for other in self.failed_tests)
        ]

    def as_json(self) -> dict[str, object]:
        return {
            "schema_version": 1,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "skip_regex": self.skip_regex,
            "count": self.repeat,
            "counts": {outcome: self.count(outcome) for outcome in ("pass", "fail", "skip")},
            "tests": self.tests,
            "packages": dict(sorted(self.packages.items())),
            "failed_tests": self.failed_tests,
            "build_failures": self.build_failures,
        }


def go_test_env() -> dict[str, str]:
    """The build's go environment (GOTOOLCHAIN=local), minus AWS_*, with cgo on (the race detector needs it)."""
    env = without_tokens(go_env({"CGO_ENABLED": "1"}))
    return {key: value for key, value in env.items() if not key.startswith(_STRIPPED_ENV_PREFIXES)}


def go_test_command(skip_regex: str | None, count: int = 1) -> list[str]:
    command = ["go", *GO_TEST_ARGS, f"-count={count}", "-timeout", f"{TIMEOUT_MIN_PER_COUNT * count}m"]
    if skip_regex:
        command += ["-skip", skip_regex]
    return [*command, "./..."]


def record_event(summary: GoTestSummary, line: str) -> str | None:
    """Fold one line of ``go test -json`` into the summary; a progress line when a package starts or ends."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None  # go prints some build errors as plain text before the JSON starts
    if not isinstance(event, dict):
        return None
    action = event.get("Action")
    if action == "build-fail":
        summary.build_failures.append(str(event.get("ImportPath", "?")))
        return None
    package = event.get("Package")
    test = event.get("Test")
    if package and action == "start" and not test:
        summary.started.add(str(package))
        return f"RUN  {package}"
    if not package or action not in ("pass", "fail", "skip"):
        return None
    if test:
        summary.tests[str(action)] += 1
        if action == "fail":
            summary.failed_tests.append(f"{package} {test}")
        return None
    summary.packages[str(package)] = str(action)
    label = {"pass": "ok  ", "fail": "FAIL", "skip": "--  "}[str(action)]
    return f"{label} {package} ({event.get('Elapsed', 0)}s)"


def summarize(lines: Iterable[str], *, exit_code: int | None = None, skip_regex: str | None = None) -> GoTestSummary:
    """A summary of recorded ``go test -json`` output (used on a saved go-test.jsonl)."""
    summary = GoTestSummary(exit_code=exit_code, skip_regex=skip_regex)
    for line in lines:
        record_event(summary, line)
    return summary


def running_as_root() -> bool:
    return os.geteuid() == 0


def _lines(stream: Iterable[str]) -> queue.Queue[str | None]:
    """The stream's lines through a queue (None at its end), so the reader can also keep time while go is quiet."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="go-output", daemon=True).start()
    return lines


def stream_go(
    command: list[str],
    cwd: Path,
    events: TextIO,
    stderr: TextIO,
    *,
    on_line: Callable[[str], bool],
    heartbeat: Callable[[], None],
    heartbeat_s: float,
) -> int:
    """Run a ``go test -json`` command to its end; its exit code. Each stdout line goes to ``events`` and to
    ``on_line``; ``heartbeat()`` runs every ``heartbeat_s`` (pushed back when ``on_line`` returns True: it said
    something). The command runs in its own session and is ended as a group on Ctrl+C, SIGTERM or an error, so the
    test binaries (and the litestream processes they started) go with it. FileNotFoundError: no ``go``."""
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=go_test_env(),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )
    with group_ended_on_exit(proc):
        assert proc.stdout is not None
        lines, next_beat = _lines(proc.stdout), time.monotonic() + heartbeat_s
        while True:
            try:
                line = lines.get(timeout=max(0.1, next_beat - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None:
                break
            if line:
                events.write(line)
                if on_line(line):
                    next_beat = time.monotonic() + heartbeat_s
            if time.monotonic() >= next_beat:
                heartbeat()
                next_beat = time.monotonic() + heartbeat_s
        return proc.wait()


def _say(text: str) -> None:
    print(text, flush=True)


def run_go_test(
    src: Path,
    out_dir: Path,
    *,
    skip_regex: str | None = None,
    count: int = 1,
    heartbeat_s: float = HEARTBEAT_S,
    say: Callable[[str], None] = _say,
) -> GoTestSummary:
    """Run the suite in ``src``, keeping the raw events in ``out_dir/go-test.jsonl`` and a summary.json next to it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = go_test_command(skip_regex, count)
    summary = GoTestSummary(skip_regex=skip_regex, as_root=running_as_root(), repeat=count)
    say(f"$ (cd {src} && CGO_ENABLED=1 {' '.join(command)})  [AWS_* removed from env]")
    if summary.as_root and not skip_regex:
        say(f"note: running as root, where {ROOT_FAILS} fails (root ignores file modes); {ROOT_SKIP_FLAG} skips it")
    events_path, stderr_path = out_dir / "go-test.jsonl", out_dir / "go-test.stderr.log"
    started = time.monotonic()
    try:
        with events_path.open("w") as events, stderr_path.open("w") as stderr:

            def on_line(line: str) -> bool:
                progress = record_event(summary, line)
                if progress:
                    say(progress)
                return bool(progress)

            summary.exit_code = stream_go(
                command,
                src,
                events,
                stderr,
                on_line=on_line,
                heartbeat=lambda: say(summary.progress(time.monotonic() - started)),
                heartbeat_s=heartbeat_s,
            )
    except FileNotFoundError:
        raise UserError("go is not on PATH; install Go (see go.mod for the version)", where=str(out_dir)) from None
    finally:
        (out_dir / "summary.json").write_text(json.dumps(summary.as_json(), indent=2) + "\n")
    if summary.build_failures:
        print(f"test binaries that did not build: {', '.join(summary.build_failures)}", file=sys.stderr)
    return summary
