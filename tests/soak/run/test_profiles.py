"""--profile: the behaviour suite's loads (short mode), explicit flags win, a bad name is one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from soak.run.profiles import PROFILES, load_values, typed_flags
from soak.run.tasks import SHORT
from tests.support.soak import STANDINS, invoke_cli

UPSTREAM = "/tmp/litestream"  # the suite's load_profiles.go at origin/main, when that checkout is here


def _flags(argv: list[str]) -> set[str]:
    return typed_flags(["invoke", "soak.overnight", *argv], SHORT)


PLAIN = {"initial_size": "100MB", "write_rate": 100, "pattern": "wave", "payload_size": 4096, "workers": 8}


def test_a_profile_sets_the_load_and_a_typed_flag_wins() -> None:
    values = {**PLAIN, "read_ratio": "0.3"}
    burst = load_values("burst", _flags(["--profile", "burst"]), values)
    assert (burst["write_rate"], burst["pattern"], burst["workers"]) == (500, "burst", 2)
    assert (burst["payload_size"], burst["initial_size"], burst["read_ratio"]) == (2048, "5MB", "0.2")
    typed = load_values("burst", _flags(["--profile", "burst", "-w", "100", "--workers=8"]), values)
    assert (typed["write_rate"], typed["workers"], typed["pattern"]) == (100, 8, "burst")
    assert load_values(None, set(), values) == values


def test_typed_flags_reads_long_short_and_equals_forms_after_the_task_only() -> None:
    argv = ["invoke", "-e", "soak.overnight", "--write-rate=5", "-p", "burst", "--payload-size", "9", "-i5MB"]
    assert typed_flags(argv, SHORT) == {"write_rate", "pattern", "payload_size", "initial_size"}


def test_a_bad_profile_name_is_one_line(tmp_path: Path) -> None:
    done = invoke_cli("--profile", "medium", "--bin", str(STANDINS), "--test-dir", str(tmp_path / "run"))
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines == ["error: --profile 'medium' is not a known load profile; use one of: low, high, burst, checkpoint"]
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(not Path(UPSTREAM, ".git").exists(), reason="needs the Litestream checkout in /tmp/litestream")
def test_the_profiles_match_the_suites_short_mode() -> None:
    """Read from upstream's own load_profiles.go: every load number of a profile appears in its function."""
    show = ["git", "-C", UPSTREAM, "show", "origin/main:tests/integration/load_profiles.go"]
    source = subprocess.run(show, capture_output=True, text=True, check=True).stdout
    for name in ("low", "high", "burst"):
        profile = PROFILES[name]
        assert f'Name:            "{profile.upstream}"' in source
        assert f'Pattern:         "{profile.pattern}"' in source
    assert 'p.InitialSize = "1MB"' in source and "p.WriteRate = 100" in source and "p.Workers = 4" in source
    assert "p.WriteRate = 500" in source and "p.Workers = 2" in source
