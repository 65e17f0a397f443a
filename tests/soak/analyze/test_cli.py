"""The real ``invoke soak.analyze`` / ``soak.compare`` CLI: exit codes 0/1/2, one error line, no traceback."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.analyze import copy_rundir, edit_json, run_invoke
from tests.support.paths import PROJECT_ROOT


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_missing_dir_is_exit_2(tmp_path: Path) -> None:
    proc = run_invoke("soak.analyze", "--run-dir", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert "does not exist" in _one_error_line(proc)


def test_empty_dir_is_exit_2(tmp_path: Path) -> None:
    proc = run_invoke("soak.analyze", "--run-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "is empty" in _one_error_line(proc)


def test_dir_without_logs_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text("{}")
    proc = run_invoke("soak.analyze", "--run-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "no logs/*.log" in _one_error_line(proc)


def test_unreadable_log_is_exit_2(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    log = run / "logs" / "litestream.log"
    log.unlink()
    log.symlink_to(tmp_path)  # a "file" that cannot be read (works as root, unlike chmod 000)
    proc = run_invoke("soak.analyze", "--run-dir", str(run))
    assert proc.returncode == 2
    assert "cannot read" in _one_error_line(proc) and "litestream.log" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_chmod_000_log_is_exit_2(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    (run / "logs" / "load.log").chmod(0)
    proc = run_invoke("soak.analyze", "--run-dir", str(run))
    assert proc.returncode == 2
    _one_error_line(proc)


def test_corrupt_run_json_is_exit_2(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    (run / "run.json").write_text('{"schema_version": 1, "started_at": ')
    proc = run_invoke("soak.analyze", "--run-dir", str(run))
    assert proc.returncode == 2
    assert "not valid JSON" in _one_error_line(proc)


def test_garbage_log_gives_a_report_saying_what_is_missing(tmp_path: Path) -> None:
    run = tmp_path / "garbage"
    (run / "logs").mkdir(parents=True)
    rng = random.Random(7)
    (run / "logs" / "litestream.log").write_bytes(bytes(rng.randrange(256) for _ in range(200_000)))
    proc = run_invoke("soak.analyze", "--run-dir", str(run))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "0/8 criteria passed" in proc.stdout
    assert "no Litestream events in litestream.log" in proc.stdout
    assert "metrics.jsonl (less data for: database, replication, resources)" in proc.stdout
    data = json.loads((run / "analysis.json").read_text())
    assert set(data["missing"]) >= {"run.json", "metrics.jsonl", "result.json", "logs/load.log"}


def test_pass_is_exit_0_and_writes_both_reports(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    proc = run_invoke("soak.analyze", "--run-dir", str(run), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] == "pass"
    assert json.loads((run / "analysis.json").read_text()) == data
    assert (run / "analysis-report.txt").read_text().startswith(f"Soak analysis: {run}")


def test_fail_is_exit_1(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    edit_json(run / "result.json", crash={"process": "litestream", "exit_code": 2})
    proc = run_invoke("soak.analyze", "--run-dir", str(run), "--format", "markdown")
    assert proc.returncode == 1
    assert "| ✘ | `no_crash` |" in proc.stdout


def test_latest_is_the_newest_overnight_dir_in_the_temp_dir(tmp_path: Path) -> None:
    old = copy_rundir(tmp_path, "litestream-overnight-s3-20261130-000000")
    new = copy_rundir(tmp_path, "litestream-overnight-s3-20261201-000000")
    os.utime(new, (1, 1))  # the name's stamp wins over mtime (analyzing an old run touches it)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", "soak.analyze", "--output", str(tmp_path / "r.txt")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (new / "analysis.json").exists() and not (old / "analysis.json").exists()
    assert proc.stdout.startswith("PASS: 7/8 criteria passed")


def test_bad_flag_values_are_exit_2(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    proc = run_invoke("soak.analyze", "--run-dir", str(run), "--format", "pdf")
    assert proc.returncode == 2
    _one_error_line(proc)
    proc = run_invoke("soak.analyze", "--run-dir", str(run), "--max-critical", "many")
    assert proc.returncode == 2
    _one_error_line(proc)
    proc = run_invoke("soak.analyze", "--run-dir", str(run), "--memory-window", "ten minutes")
    assert proc.returncode == 2
    assert "--memory-window" in _one_error_line(proc)
    proc = run_invoke("soak.analyze", "--run-dir", str(run), "--output", str(tmp_path / "no" / "such" / "dir.txt"))
    assert proc.returncode == 1
    assert "cannot write --output" in _one_error_line(proc)


def test_compare_cli(tmp_path: Path) -> None:
    a = copy_rundir(tmp_path, "a")
    b = copy_rundir(tmp_path, "b")
    edit_json(b / "result.json", rows_written=8000)
    proc = run_invoke("soak.compare", str(a), str(b), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["figure"]: r for r in json.loads(proc.stdout)["rows"]}
    assert (rows["rows_written"]["a"], rows["rows_written"]["b"], rows["rows_written"]["delta"]) == (7128, 8000, 872)
    missing = run_invoke("soak.compare", str(a), str(tmp_path / "nope"))
    assert missing.returncode == 2
    _one_error_line(missing)


def test_wrong_types_in_json_are_ignored_with_a_warning_not_a_traceback(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    edit_json(run / "result.json", tables=[1, 2], crash="boom", checks="x")
    edit_json(run / "run.json", config={"levels_s": "abc", "snapshot_interval_s": "1m"}, params={"duration_s": "3m"})
    proc = run_invoke("soak.analyze", "--run-dir", str(run), "--format", "json")
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr
    warnings = json.loads(proc.stdout)["input_warnings"]
    assert any("'tables'" in w for w in warnings) and any("run.json.config: 'levels_s'" in w for w in warnings)
    assert any("run.json.params: 'duration_s'" in w for w in warnings)
