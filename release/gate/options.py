"""What the maintainer asks the gate for, after ``--``: every gate session parses the same posargs again."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.settings import PROJECT_ROOT, Settings, resolve_src
from common.units import parse_duration
from common.versions import ReleaseVersion, parse_version
from release.gate.upstream_suites import DEFAULT_SUITES, parse_suite_names
from soak.run.profiles import PROFILES

# The suite's three canonical load profiles (soak.run.profiles), one short soak each in the gate's profiles step.
DEFAULT_SOAK_PROFILES = ("low", "high", "burst")


@dataclass(frozen=True)
class GateOptions:
    """The parsed options of one gate run."""

    src: Path
    version: ReleaseVersion
    soak_duration: str
    out: Path
    skip: tuple[str, ...] = ()
    chaos: bool = False
    publish: bool = False
    go_test_skip: str | None = None
    soak_repeat: int = 1
    baseline: ReleaseVersion | None = None
    soak_profiles: tuple[str, ...] = DEFAULT_SOAK_PROFILES
    soak_profile_duration: str = "3m"
    go_test_count: int = 1
    upstream_suites: tuple[str, ...] = DEFAULT_SUITES
    upstream_full: bool = False
    upstream_count: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "src": str(self.src),
            "version": self.version.tag,
            "soak_duration": self.soak_duration,
            "out": str(self.out),
            "skip": list(self.skip),
            "chaos": self.chaos,
            "publish": self.publish,
            "go_test_skip": self.go_test_skip,
            "soak_repeat": self.soak_repeat,
            "baseline": self.baseline.tag if self.baseline else None,
            "soak_profiles": list(self.soak_profiles),
            "soak_profile_duration": self.soak_profile_duration,
            "go_test_count": self.go_test_count,
            "upstream_suites": list(self.upstream_suites),
            "upstream_full": self.upstream_full,
            "upstream_count": self.upstream_count,
        }


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print usage and exit 2; we want one line
        raise UserError(f"release gate options: {message}; e.g. -- --src ../litestream --version v0.5.16")


def parse_gate_args(argv: Sequence[str], gates: Sequence[str]) -> GateOptions:
    """Parse the options after ``--``; ``gates`` are the names ``--skip`` may give. Bad input is one UserError line."""
    parser = _Parser(prog="nox -s release_gate --", add_help=False)
    parser.add_argument("--src")
    parser.add_argument("--version")
    parser.add_argument("--soak-duration", default="30m")
    parser.add_argument("--skip", action="append", default=[])
    parser.add_argument("--chaos", action="store_true")
    parser.add_argument("--publish", action="store_true")
    parser.add_argument("--out", default="gate-evidence")
    parser.add_argument("--go-test-skip")
    parser.add_argument("--soak-repeat", default="1")
    parser.add_argument("--baseline")
    parser.add_argument("--soak-profiles", default=",".join(DEFAULT_SOAK_PROFILES))
    parser.add_argument("--soak-profile-duration", default="3m")
    parser.add_argument("--go-test-count", default="1")
    parser.add_argument("--upstream-suites")
    parser.add_argument("--upstream-full", action="store_true")
    parser.add_argument("--upstream-count", default="1")
    args = parser.parse_args(list(argv))
    soak_repeat = _count(args.soak_repeat, "--soak-repeat", "runs")
    go_test_count = _count(args.go_test_count, "--go-test-count", "repeats of each test")
    upstream_count = _count(args.upstream_count, "--upstream-count", "repeats of each suite")
    unknown = [name for name in args.skip if name not in gates]
    if unknown:
        raise UserError(f"--skip {unknown[0]!r} is not a gate; choose from {', '.join(gates)}")
    parse_duration(args.soak_duration, name="soak-duration")
    parse_duration(args.soak_profile_duration, name="soak-profile-duration")
    profiles = parse_soak_profiles(args.soak_profiles)
    out = Path(args.out).expanduser()
    return GateOptions(
        src=resolve_src(Settings.for_project(), args.src),
        version=parse_version(args.version),
        soak_duration=args.soak_duration,
        out=(out if out.is_absolute() else PROJECT_ROOT / out).resolve(),
        skip=tuple(dict.fromkeys(args.skip)),
        chaos=args.chaos,
        publish=args.publish,
        go_test_skip=args.go_test_skip,
        soak_repeat=soak_repeat,
        go_test_count=go_test_count,
        upstream_suites=parse_suite_names(args.upstream_suites),
        upstream_full=args.upstream_full,
        upstream_count=upstream_count,
        baseline=parse_version(args.baseline, flag="--baseline") if args.baseline is not None else None,
        soak_profiles=profiles,
        soak_profile_duration=args.soak_profile_duration,
    )


def parse_soak_profiles(text: str) -> tuple[str, ...]:
    """``low,high,burst`` -> the names, checked; ``none`` (or nothing) -> no profile soaks (the step is skipped)."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if names in ((), ("none",)):
        return ()
    unknown = [name for name in names if name not in PROFILES]
    if unknown:
        raise UserError(
            f"--soak-profiles: {unknown[0]!r} is not a load profile; give a comma-separated list of "
            f"{', '.join(PROFILES)}, or none"
        )
    return names


def _count(text: str, flag: str, what: str) -> int:
    """A whole number, at least 1 (``--soak-repeat 3``); anything else is one line saying so."""
    if not text.isdigit() or int(text) < 1:
        raise UserError(f"{flag} {text!r} is not a whole number of {what}, at least 1; e.g. {flag} 3")
    return int(text)
