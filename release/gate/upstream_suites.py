"""Litestream's own LTX behaviour suites (tests/integration, tags ``integration,soak``) on the binaries under test.

The suite finds its binaries at ``../../bin/`` from tests/integration, so it runs in a scratch copy of the checkout
(the checkout itself is never written) with the build gate's binaries in the copy's ``bin/``. Each named test is one
``go test -json`` run; the events are read into profiles (leaf tests) and assertion lines (suite_events.py).

Fail closed: a profile passes only when go said so and it printed at least one assertion verdict; a skipped test
(the suite skips itself when a binary is missing) or a named test that never ran is a failure, not a pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.steps import Skip
from common.units import format_duration
from release.gate.go_test import stream_go
from release.gate.suite_events import SuiteStream

SUITE_DIR = "tests/integration"
SUITE_FILE = f"{SUITE_DIR}/ltx_behavior_test.go"  # the LTX behaviour suite (Litestream #1195, first in v0.5.11)
BUILD_TAGS = "integration,soak"
DEFAULT_SUITES = ("TestLTXBehavior", "TestLTXBehavior_NoExcessiveSnapshots")
BINARIES = ("litestream", "litestream-test")
EVIDENCE = "upstream-suites.json"
HEARTBEAT_S = 30.0
# go test's -timeout per named test and repeat: short mode runs 2 min of load per profile plus ~1 min of setup and
# settling (~4 profiles); full mode 30 min per profile (SOAK_DURATION overrides it upstream).
TIMEOUT_SHORT_MIN = 45
TIMEOUT_FULL_MIN = 240

_NAME = re.compile(r"^Test[A-Za-z0-9_]*(/[A-Za-z0-9_.+-]+)*$")
_DECLARED = re.compile(r"^func (Test\w*)\(t \*testing\.T\)", re.MULTILINE)


def parse_suite_names(text: str | None) -> tuple[str, ...]:
    """``--upstream-suites``: comma-separated test names, a subtest after ``/`` (``TestLTXBehavior/low-volume``)."""
    if text is None:
        return DEFAULT_SUITES
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    bad = [name for name in names if not _NAME.match(name)]
    if not names or bad:
        what = repr(bad[0]) if bad else "nothing"
        raise UserError(
            f"--upstream-suites names {what}, not a Go test name; give comma-separated names such as "
            "TestLTXBehavior,TestLTXBehavior_NoExcessiveSnapshots or TestLTXBehavior/low-volume"
        )
    return names


def declared_tests(src: Path) -> set[str]:
    """The top-level tests the checkout's tests/integration declares (any build tags)."""
    folder = src / SUITE_DIR
    if not folder.is_dir():
        return set()
    names: set[str] = set()
    for path in folder.glob("*_test.go"):
        names.update(_DECLARED.findall(path.read_text(errors="replace")))
    return names


def check_suites(src: Path, names: Sequence[str]) -> None:
    """Skip when the checkout predates the suite; a name it does not declare is a typo, said in one line."""
    declared = declared_tests(src)
    if not (src / SUITE_FILE).is_file():
        raise Skip(f"the checkout has no LTX behaviour suite ({SUITE_FILE} is missing: Litestream before v0.5.11)")
    unknown = [name for name in names if name.split("/", 1)[0] not in declared]
    if unknown:
        raise UserError(
            f"--upstream-suites names {unknown[0]}, which {src / SUITE_DIR} does not declare; "
            f"choose from {', '.join(sorted(n for n in declared if n.startswith('TestLTX')) or sorted(declared))}"
        )


def run_pattern(name: str) -> str:
    """``go test -run`` for exactly this test (and subtest): ``^TestLTXBehavior$/^low-volume$``."""
    return "/".join(f"^{re.escape(part)}$" for part in name.split("/"))


def suite_command(name: str, *, short: bool, count: int) -> list[str]:
    timeout = (TIMEOUT_SHORT_MIN if short else TIMEOUT_FULL_MIN) * count
    command = ["go", "test", "-tags", BUILD_TAGS, "-json", f"-count={count}", "-timeout", f"{timeout}m"]
    if short:
        command.append("-short")
    return [*command, "-run", run_pattern(name), f"./{SUITE_DIR}/"]


def _checkout_files(src: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files (what the build saw), without bin/ or .git; all files if no git."""
    proc = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=src,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # reading must not rewrite the checkout's index
    )
    if proc.returncode == 0:
        return [name for name in proc.stdout.split("\0") if name]
    skip = (".git", "bin", "dist")
    return [str(p.relative_to(src)) for p in src.rglob("*") if p.is_file() and p.relative_to(src).parts[0] not in skip]


def scratch_checkout(src: Path, dest: Path, bin_dir: Path) -> int:
    """A copy of the checkout's files at ``dest`` with the binaries under test in ``dest/bin``; the file count."""
    shutil.rmtree(dest, ignore_errors=True)
    files = _checkout_files(src)
    for name in files:
        source = src / name
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (dest / "bin").mkdir(parents=True, exist_ok=True)
    for binary in BINARIES:
        if not (bin_dir / binary).is_file():
            raise UserError(f"{bin_dir / binary} is missing: the build gate did not leave the binaries under test")
        shutil.copy2(bin_dir / binary, dest / "bin" / binary)
    return len(files)


@dataclass
class SuiteReport:
    """What the suites found: every profile with its assertion lines, and the verdict over them."""

    names: tuple[str, ...]
    short: bool
    count: int
    stream: SuiteStream = field(default_factory=SuiteStream)
    exit_codes: dict[str, int] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def problems(self) -> list[str]:
        """Every reason the suites did not pass (empty: they passed); failed assertions quoted first."""
        problems: list[str] = []
        profiles = self.stream.profiles()
        for run in profiles:
            problems += [f"{run.test}: {line}" for line in run.failed_lines()]
        for run in profiles:
            if run.status == "fail" and not run.failed_lines():
                details = [a.line for a in run.assertions if a.status == "detail"]  # t.Errorf without "FAIL:"
                problems.append(f"{run.test} failed: {' | '.join(details[-3:]) or run.why() or 'no output'}")
            elif run.status == "skip":
                problems.append(f"{run.test} was skipped, not run: {run.why() or 'no reason given'}")
            elif run.status == "running":
                problems.append(f"{run.test} never finished (go test ended or timed out while it ran)")
            elif run.status == "pass" and not any(a.status in ("pass", "fail") for a in run.assertions):
                problems.append(f"{run.test} passed without printing one assertion verdict")
        for name in self.names:
            runs = sum(1 for run in self.stream.runs if run.test == name)
            if runs < self.count:
                problems.append(
                    f"{name} ran {runs} of {self.count} time(s) (a subtest it does not have, or other build tags?)"
                )
        if self.stream.build_failures:
            problems.append(f"the suite did not build: {', '.join(self.stream.build_failures)}")
        bad_exit = {name: code for name, code in self.exit_codes.items() if code != 0}
        if bad_exit and not problems:
            stray = " | ".join(self.stream.stray[-3:])
            problems += [
                f"go test for {name} exited {code}" + (f": {stray}" if stray else "") for name, code in bad_exit.items()
            ]
        return problems

    @property
    def passed(self) -> bool:
        return bool(self.stream.profiles()) and not self.problems()

    def key_figure(self) -> str:
        profiles = self.stream.profiles()
        passed = sum(1 for run in profiles if run.status == "pass" and not run.failed_lines())
        tally = {"pass": 0, "fail": 0, "skip": 0}
        for run in profiles:
            for key, value in run.counts().items():
                tally[key] += value
        mode = "-short" if self.short else "full"
        repeat = f", -count={self.count}" if self.count > 1 else ""
        return (
            f"{passed} of {len(profiles)} profiles passed ({mode}{repeat}); assertions {tally['pass']} passed, "
            f"{tally['fail']} failed, {tally['skip']} skipped"
        )

    def reason(self) -> str | None:
        if self.passed:
            return None
        problems = self.problems() or ["go test ran no profile"]
        shown = problems[:6]
        more = f"; and {len(problems) - len(shown)} more (see {EVIDENCE})" if len(problems) > len(shown) else ""
        return "; ".join(shown) + more

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "passed": self.passed,
            "suites": list(self.names),
            "short": self.short,
            "count": self.count,
            "build_tags": BUILD_TAGS,
            "commands": self.commands,
            "exit_codes": self.exit_codes,
            "wall_s": round(self.wall_s, 1),
            "profiles": [run.as_json() for run in self.stream.profiles()],
            "problems": self.problems(),
        }


def progress_line(report: SuiteReport, elapsed_s: float) -> str:
    """The heartbeat: elapsed, the profile running and for how long, profiles done."""
    profiles = report.stream.profiles()
    done = [run for run in profiles if run.status != "running"]
    failed = sum(1 for run in done if run.status != "pass" or run.failed_lines())
    running = report.stream.running()
    now = (
        f"{running[-1].test} running" + (f" ({running[-1].name})" if running[-1].profile else "")
        if running
        else "building the suite"
    )
    return f"… upstream suites {format_duration(elapsed_s)}: {now}; {len(done)} profiles done, {failed} failed"


def _say(text: str) -> None:
    print(text, flush=True)


def _run_one(
    scratch: Path,
    name: str,
    report: SuiteReport,
    events_path: Path,
    stderr_path: Path,
    *,
    started: float,
    heartbeat_s: float,
    say: Callable[[str], None],
) -> int:
    command = suite_command(name, short=report.short, count=report.count)
    shown = " ".join(f"'{part}'" if "^" in part else part for part in command)
    report.commands.append(shown)
    say(f"$ (cd {scratch} && CGO_ENABLED=1 {shown})")
    try:
        with events_path.open("a") as events, stderr_path.open("a") as stderr:

            def on_line(line: str) -> bool:
                for text in report.stream.feed(line):
                    say(text)
                return False  # the progress line comes every heartbeat_s, assertion lines or not

            return stream_go(
                command,
                scratch,
                events,
                stderr,
                on_line=on_line,
                heartbeat=lambda: say(progress_line(report, time.monotonic() - started)),
                heartbeat_s=heartbeat_s,
            )
    except FileNotFoundError:
        raise UserError("go is not on PATH; install Go (see go.mod for the version)") from None


def run_suites(
    src: Path,
    bin_dir: Path,
    out_dir: Path,
    names: Sequence[str] = DEFAULT_SUITES,
    *,
    short: bool = True,
    count: int = 1,
    heartbeat_s: float = HEARTBEAT_S,
    say: Callable[[str], None] = _say,
) -> SuiteReport:
    """Run each named suite in a scratch copy of ``src`` with ``bin_dir``'s binaries; evidence in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = SuiteReport(tuple(names), short, count)
    scratch = out_dir / "checkout"
    files = scratch_checkout(src, scratch, bin_dir)
    say(f"scratch copy of {src} ({files} files) with the binaries under test in {scratch / 'bin'}")
    events_path, stderr_path = out_dir / "go-test.jsonl", out_dir / "go-test.stderr.log"
    events_path.write_text("")
    stderr_path.write_text("")
    started = time.monotonic()
    try:
        for name in names:
            report.exit_codes[name] = _run_one(
                scratch, name, report, events_path, stderr_path, started=started, heartbeat_s=heartbeat_s, say=say
            )
    finally:
        report.wall_s = time.monotonic() - started
        (out_dir / EVIDENCE).write_text(json.dumps(report.as_json(), indent=2) + "\n")
        shutil.rmtree(scratch, ignore_errors=True)  # the binaries are in build/bin; the sources are the checkout's
    return report


def suite_markdown(details: dict[str, Any]) -> list[str]:
    """The suite's part of gate-report.md: a row per profile, then every assertion line it printed."""
    profiles = [p for p in details.get("profiles") or [] if isinstance(p, dict)]
    mode = "-short" if details.get("short") else "full"
    lines = [
        f"### Litestream's LTX behaviour suites ({', '.join(details.get('suites') or [])}; {mode}, "
        f"-count={details.get('count')})",
        "",
        "| profile | test | status | elapsed | assertions passed / failed / skipped |",
        "|---|---|---|---|---|",
    ]
    for profile in profiles:
        counts = profile.get("assertion_counts") or {}
        elapsed = profile.get("elapsed_s")
        lines.append(
            f"| {profile.get('profile')} | `{profile.get('test')}` | {profile.get('status')} | "
            f"{format_duration(elapsed) if isinstance(elapsed, int | float) else '—'} | "
            f"{counts.get('pass', 0)} / {counts.get('fail', 0)} / {counts.get('skip', 0)} |"
        )
    for profile in profiles:
        lines += ["", f"`{profile.get('test')}` ({profile.get('status')}):", ""]
        assertions = [a for a in profile.get("assertions") or [] if isinstance(a, dict)]
        lines += [f"- {a.get('status', '').upper()} `{a.get('line')}`" for a in assertions] or [
            "- (no assertion lines)"
        ]
        if profile.get("last_output"):
            lines.append(f"- last output: `{' | '.join(profile['last_output'])}`")
    problems = details.get("problems") or []
    if problems:
        lines += ["", "**Why the suite step failed:**", ""] + [f"- {problem}" for problem in problems]
    return lines
