"""The real ``invoke soak.analyze`` / ``soak.compare`` CLI: exit codes 0/1/2, one error line, no traceback."""

from __future__ import annotations

import json
import os
import random
import re
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
    assert proc.returncode == 3  # INCOMPLETE: no result.json, nothing judged
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "0/13 criteria passed" in proc.stdout
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
    assert proc.stdout.startswith("PASS: 12/13 criteria passed")


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
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1, 3), proc.stderr
    warnings = json.loads(proc.stdout)["input_warnings"]
    assert any("'tables'" in w for w in warnings) and any("run.json.config: 'levels_s'" in w for w in warnings)
    assert any("run.json.params: 'duration_s'" in w for w in warnings)


def test_run_dir_is_taken_positionally_as_well(tmp_path: Path) -> None:
    """invoke soak.analyze DIR (before or after the flags), and --run-dir DIR as before."""
    run = copy_rundir(tmp_path)
    for args in ([str(run), "--format", "json"], ["-f", "json", str(run)], ["--run-dir", str(run), "-f", "json"]):
        proc = run_invoke("soak.analyze", *args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert json.loads(proc.stdout)["run_dir"] == str(run), args
    missing = run_invoke("soak.analyze", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "does not exist" in _one_error_line(missing)


def test_help_shows_the_positional_forms() -> None:
    analyze = run_invoke("--help", "soak.analyze")
    assert analyze.returncode == 0 and "invoke soak.analyze [DIR]" in analyze.stdout
    assert "-f STRING, --format=STRING" in analyze.stdout and "-o STRING, --output=STRING" in analyze.stdout
    compare = run_invoke("--help", "soak.compare")
    assert compare.returncode == 0 and "invoke soak.compare A B" in compare.stdout


def test_html_writes_the_file_and_prints_its_path(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    proc = run_invoke("soak.analyze", str(run), "--format", "html")
    assert proc.returncode == 0, proc.stderr
    page = run / "analysis.html"
    assert proc.stdout == f"PASS: 12/13 criteria passed; not judged: memory_stable (report in {page})\n"
    assert "<html" not in proc.stdout + proc.stderr and "base64" not in proc.stdout + proc.stderr
    assert page.read_text().startswith("<!DOCTYPE html>") and page.stat().st_size > 50_000
    page.unlink()
    elsewhere = tmp_path / "report.html"
    proc = run_invoke("soak.analyze", str(run), "-f", "html", "-o", str(elsewhere))
    assert proc.returncode == 0 and proc.stdout.strip().endswith(f"(report in {elsewhere})")
    assert elsewhere.read_text().startswith("<!DOCTYPE html>") and not page.exists()


def test_text_report_uses_human_units_and_tables_not_numbers_in_e_notation(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    proc = run_invoke("soak.analyze", str(run))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert (run / "analysis-report.txt").read_text() == text
    assert not re.search(r"\d[eE][+-]?\d", text), "no scientific notation"
    assert "{" not in text and "}" not in text, "no dict reprs"
    assert text.index("Pass criteria") < text.index("1. Duration and timeline"), "the checklist first"
    lines = text.splitlines()
    row = {line.split("   ")[0].strip(): " ".join(line.split()) for line in lines if "   " in line}
    assert row["db bytes last"] == "db bytes last 12.1 MiB"  # 12685312 bytes
    assert row["duration"] == "duration 3m22s"  # 201.719 s
    assert row["actual write rate"] == "actual write rate 39.6/s"
    assert row["rss slope pct per h"] == "rss slope pct per h -1,265.46 %/h"
    assert row["rows last"] == "rows last 7,128"
    assert re.search(r"\n\s*1\s+10s\s+11\s+7\.1 MiB\s+median: 10s, min: 9\.7s, max: 1m40s", text), "levels table"
    exact = json.loads((run / "analysis.json").read_text())["sections"]
    assert exact["database"]["db_bytes_last"] == 12685312 and exact["timeline"]["duration_s"] == 201.719


def test_markdown_report_uses_the_same_human_units(tmp_path: Path) -> None:
    proc = run_invoke("soak.analyze", str(copy_rundir(tmp_path)), "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    assert "| db bytes last | 12.1 MiB |" in proc.stdout and "| duration | 3m22s |" in proc.stdout
    assert "| ✔ | `restore` | yes | yes | restored in 0.8s |" in proc.stdout
    assert not re.search(r"\d[eE][+-]?\d", proc.stdout) and "{'" not in proc.stdout
