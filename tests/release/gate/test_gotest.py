"""go_test: the real Go toolchain on a tiny module with a passing, a failing and a test-less package."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from release.gate import go_test
from release.gate.go_test import ROOT_FAILS, GoTestSummary, go_test_command, record_event, run_go_test, summarize

pytestmark = pytest.mark.skipif(not shutil.which("go") or not shutil.which("gcc"), reason="needs go and gcc")

PACKAGES = {
    "go.mod": "module example.com/gatetest\n\ngo 1.21\n",
    "good/good.go": "package good\n\nfunc Add(a, b int) int { return a + b }\n",
    "good/good_test.go": """package good

import (
\t"os"
\t"testing"
)

func TestAdd(t *testing.T) {
\tif Add(1, 2) != 3 {
\t\tt.Fatal("bad sum")
\t}
}

// The suite must not see the engineer's AWS settings (AWS_CA_BUNDLE broke Litestream's S3 client tests).
func TestNoAWSEnvironment(t *testing.T) {
\tif v := os.Getenv("AWS_CA_BUNDLE"); v != "" {
\t\tt.Fatalf("AWS_CA_BUNDLE leaked into go test: %q", v)
\t}
}
""",
    "bad/bad.go": "package bad\n",
    "bad/bad_test.go": """package bad

import "testing"

func TestBroken(t *testing.T) { t.Fatal("broken on purpose") }

func TestFine(t *testing.T) {}
""",
    "notests/notests.go": "package notests\n",
}


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gomod")
    for name, text in PACKAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_failing_package_is_counted_and_named(module: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", "/nonexistent/ca-bundle.pem")
    summary = run_go_test(module, tmp_path)
    assert summary.packages == {
        "example.com/gatetest/good": "pass",
        "example.com/gatetest/bad": "fail",
        "example.com/gatetest/notests": "skip",
    }
    assert summary.failed_tests == ["example.com/gatetest/bad TestBroken"]
    assert not summary.passed and summary.exit_code != 0
    assert summary.key_figure() == "1 packages passed, 1 failed, 1 without tests; 3 tests passed, 0 skipped"
    assert summary.tests == {"pass": 3, "fail": 1, "skip": 0}
    assert "failed packages: example.com/gatetest/bad" in str(summary.reason())
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["counts"] == {"pass": 1, "fail": 1, "skip": 1}
    assert (tmp_path / "go-test.jsonl").stat().st_size > 0


def test_skip_regex_is_passed_and_recorded(module: Path, tmp_path: Path) -> None:
    summary = run_go_test(module, tmp_path, skip_regex="TestBroken")
    assert summary.passed, summary.reason()
    figure = "2 packages passed, 0 failed, 1 without tests; 3 tests passed, 0 skipped; -skip TestBroken"
    assert summary.key_figure() == figure
    assert go_test_command("TestBroken")[-3:] == ["-skip", "TestBroken", "./..."]
    assert "-race" in go_test_command(None) and "-count=1" in go_test_command(None)


def test_a_failing_subtest_is_named_without_its_parent() -> None:
    events = [
        {"Action": "fail", "Package": "p", "Test": "TestUpload/PermissionDenied"},
        {"Action": "fail", "Package": "p", "Test": "TestUpload"},
        {"Action": "fail", "Package": "p", "Test": "TestOther"},
        {"Action": "fail", "Package": "p"},
    ]
    summary = summarize([json.dumps(event) for event in events], exit_code=1)
    assert summary.failing_leaves() == ["p TestUpload/PermissionDenied", "p TestOther"]
    assert str(summary.reason()).endswith("failing tests: p TestUpload/PermissionDenied, p TestOther")


def test_build_failure_counts_as_a_failed_package() -> None:
    binary = "example.com/x [example.com/x.test]"
    events = [
        {"ImportPath": binary, "Action": "build-output", "Output": "x.go:1: oops\n"},
        {"ImportPath": binary, "Action": "build-fail"},
        {"Action": "start", "Package": "example.com/x"},
        {"Action": "fail", "Package": "example.com/x", "Elapsed": 0, "FailedBuild": binary},
    ]
    summary = summarize([json.dumps(event) for event in events] + ["not json"], exit_code=1)
    assert summary.packages == {"example.com/x": "fail"}
    assert summary.build_failures == ["example.com/x [example.com/x.test]"]
    assert not summary.passed


def test_progress_is_streamed_package_by_package_with_a_heartbeat(module: Path, tmp_path: Path) -> None:
    said: list[tuple[float, str]] = []
    started = time.monotonic()
    run_go_test(module, tmp_path, heartbeat_s=0.3, say=lambda line: said.append((time.monotonic() - started, line)))
    lines = [line for _, line in said]
    for package, verdict in (("good", "ok  "), ("bad", "FAIL")):
        run = lines.index(f"RUN  example.com/gatetest/{package}")
        done = next(i for i, line in enumerate(lines) if line.startswith(f"{verdict} example.com/gatetest/{package} ("))
        assert run < done, lines
    assert any(line.startswith("FAIL example.com/gatetest/bad (") for line in lines)
    beats = [line for line in lines if line.startswith("… go test ")]
    assert beats, "a heartbeat while go builds the -race test binaries"
    assert re.fullmatch(r"… go test \d+s: \d+ packages done, \d+ running; \d+ tests passed, \d+ failed", beats[0])
    assert said[0][0] < said[-1][0], "lines arrive as go runs, not all at the end"


def test_as_root_the_permission_subtest_failure_names_the_flag_that_skips_it() -> None:
    events = [
        {"Action": "fail", "Package": "github.com/benbjohnson/litestream", "Test": ROOT_FAILS},
        {"Action": "fail", "Package": "github.com/benbjohnson/litestream", "Test": ROOT_FAILS.split("/")[0]},
        {"Action": "fail", "Package": "github.com/benbjohnson/litestream"},
    ]
    as_root = GoTestSummary(exit_code=1, as_root=True)
    for event in events:
        record_event(as_root, json.dumps(event))
    assert f"pass --go-test-skip '{ROOT_FAILS}'" in str(as_root.reason())
    as_user = summarize([json.dumps(event) for event in events], exit_code=1)
    assert "--go-test-skip" not in str(as_user.reason()), "not root: a real failure, no hint"


def test_running_as_root_is_said_before_the_suite_starts(
    module: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(go_test, "running_as_root", lambda: True)
    said: list[str] = []
    run_go_test(module, tmp_path, say=said.append)
    assert said[1] == (
        f"note: running as root, where {ROOT_FAILS} fails (root ignores file modes); --go-test-skip '{ROOT_FAILS}' "
        "skips it"
    )
