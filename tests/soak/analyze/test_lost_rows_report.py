"""Section 12 and the bug report: a failed run built from the real fixture run dir, the real v0.5.16 kills-only
capture (faults.log, litestream.log) and a real SQLite pair whose restore lacks the ids that capture lost."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds
from soak.faults.events import read_fault_events
from soak.run.lost_rows import explain_difference
from tests.support.analyze import copy_rundir, edit_json, run_invoke
from tests.support.lost_rows import fault_fixture, schedule, write_load_test

REPLAY = [
    "invoke", "soak.overnight", "--bin", "/opt/ls/v0.5.16", "--duration", "150s", "--initial-size", "2MB",
    "--write-rate", "40", "--payload-size", "512", "--kill-every", "45s", "--fault-seed", "42",
]  # fmt: skip
TIMES = schedule(
    [(1, "2026-12-01T07:17:48.000Z"), (4666, "2026-12-01T07:19:59.873Z"), (4669, "2026-12-01T07:19:59.923Z"),
     (5400, "2026-12-01T07:20:17.000Z")]
)  # fmt: skip


def _failed_kill_run(tmp_path: Path, *, stored: bool) -> Path:
    """``stored``: result.json carries lost_rows as the soak's verify step writes it (and the databases are gone);
    otherwise the analyzer has to compare test.db and restored.db itself."""
    run = copy_rundir(tmp_path)
    fault_fixture(run, "kills-only")
    source = write_load_test(run / "test.db", TIMES)
    restored = write_load_test(run / "restored.db", TIMES, skip=range(4666, 4670))
    lost = explain_difference(source, restored, faults=read_fault_events(run / "logs" / "faults.log").events)
    detail = f"differ: load_test: {lost.summary()}"
    checks = [
        {"name": "no_crash", "passed": True, "detail": "ran to the end", "value": 0},
        {"name": "catch_up", "passed": True, "detail": "replica L0 max TXID 137 vs local 137", "value": 3.0},
        {"name": "restore", "passed": True, "detail": "restored in 0.9s", "value": 0.9},
        {"name": "integrity", "passed": False, "detail": "PRAGMA integrity_check: wrong # of entries in index "
         "idx_load_test_timestamp", "value": None},
        {"name": "row_counts", "passed": False, "detail": detail, "value": 5420},
        {"name": "digests", "passed": False, "detail": detail, "value": 1},
    ]  # fmt: skip
    table = {"source_rows": 5400, "restored_rows": 5396, "source_sha256": "a" * 64, "restored_sha256": "b" * 64}
    edit_json(
        run / "result.json",
        status="fail",
        reason=checks[3]["detail"],
        checks=checks,
        rows_written=5400,
        tables={"load_test": table},
        lost_rows=lost.to_json() if stored else None,
    )
    edit_json(
        run / "run.json",
        started_at="2026-12-01T07:17:40.000Z",
        ended_at="2026-12-01T07:20:40.000Z",
        replay_command=REPLAY,
        command=["invoke", "soak.overnight", "--bin", "/opt/ls/v0.5.16", "--kill-every", "45s"],
        faults={"seed": 42, "kill": {"every_s": 45}},
        platform="Linux 6.1 x86_64",
    )
    if stored:
        (run / "test.db").unlink()
        (run / "restored.db").unlink()
    return run


@pytest.mark.parametrize("stored", [True, False], ids=["from-result-json", "compared-by-the-analyzer"])
def test_section_12_lists_the_lost_ids_their_write_times_and_kill_3(tmp_path: Path, stored: bool) -> None:
    data = analyze_run(_failed_kill_run(tmp_path, stored=stored), Thresholds()).data
    section = data["sections"]["lost_rows"]
    assert section["summary"] == "missing ids 4666-4669 (4 rows), written from 4 ms before to 46 ms after kill 3"
    assert section["from"] == ("result.json lost_rows" if stored else "compared now: test.db against restored.db")
    [row] = section["ranges"]
    assert (row["kind"], row["ids"], row["rows"], row["nearest_fault"]) == ("missing", "4666-4669", 4, "kill 3")
    assert (row["written_first"], row["written_last"]) == ("2026-12-01T07:19:59.873Z", "2026-12-01T07:19:59.923Z")
    rows = next(c for c in data["criteria"] if c["name"] == "rows_and_digests")
    assert rows["status"] == "fail" and "missing ids 4666-4669 (4 rows)" in rows["detail"]
    assert data["verdict"] == "fail"


def test_the_log_excerpts_quote_the_capture_around_the_writes_and_after_the_restart(tmp_path: Path) -> None:
    data = analyze_run(_failed_kill_run(tmp_path, stored=True), Thresholds()).data
    excerpts = data["sections"]["lost_rows"]["log_excerpts"]
    assert [e["what"] for e in excerpts] == ["around the writes", "after the restart of kill 3"]
    around, after = (("\n".join(e["lines"])) for e in excerpts)
    # the last upload before kill 3 (07:19:58.893) and the restart's first lines (07:20:04.961, restart 07:20:04.886)
    assert 'time=2026-12-01T07:19:58.893Z level=INFO msg="ltx file uploaded"' in around
    assert "time=2026-12-01T07:20:04.961Z level=INFO msg=litestream" in after
    assert 'time=2026-12-01T07:20:06.462Z level=INFO msg="ltx file uploaded"' in after
    log_lines = (tmp_path / "litestream-overnight-s3-20261201-065921" / "logs" / "litestream.log").read_text()
    assert all(line in log_lines or line.startswith("(") for e in excerpts for line in e["lines"]), "quoted verbatim"
    assert sum(len(e["lines"]) for e in excerpts) < 100, "bounded"


def test_markdown_of_a_failed_run_is_a_bug_report_to_paste_upstream(tmp_path: Path) -> None:
    run = _failed_kill_run(tmp_path, stored=True)
    proc = run_invoke("soak.analyze", str(run), "--format", "markdown")
    assert proc.returncode == 1
    md = proc.stdout
    assert md.startswith("# litestream v0.5.16: a restore lost 4 rows, written next to kills\n")
    assert "**Lost rows:** missing ids 4666-4669 (4 rows), written from 4 ms before to 46 ms after kill 3" in md
    assert "| litestream | `v0.5.16` (`/tmp/lsbin/litestream`) |" in md and "| platform | `Linux 6.1 x86_64` |" in md
    command = re.search(r"```sh\n(.*)\n```", md)
    assert command is not None and shlex.split(command.group(1)) == REPLAY
    assert "`--fault-seed 42` replays the same fault schedule" in md
    assert "## litestream.yml\n\n```yaml\naddr: 127.0.0.1:51977\n" in md
    assert "- `integrity`: PRAGMA integrity_check: wrong # of entries in index idx_load_test_timestamp" in md
    assert "Row by row, `load_test` has 5400 rows in the source and 5396 in the restore: 4 missing" in md
    assert (
        "| missing | 4666-4669 | 4 | 2026-12-01T07:19:59.873Z to 07:19:59.923Z | kill 3 at 2026-12-01T07:19:59.877Z |"
        in md
    )
    assert "## litestream.log around the lost rows" in md and "07:20:04.961Z level=INFO msg=litestream" in md
    assert md.index("## Versions") < md.index("## How to reproduce") < md.index("## Evidence") < md.index("<details>")
    assert "<summary>Full soak analysis</summary>" in md and "## 12. Lost rows" in md
    assert "fake-secret" not in md and "AWS_SECRET" not in md


def test_text_and_html_reports_show_section_12(tmp_path: Path) -> None:
    run = _failed_kill_run(tmp_path, stored=True)
    text = run_invoke("soak.analyze", str(run)).stdout
    assert "12. Lost rows" in text and re.search(r"missing\s+4666-4669\s+4\s", text)
    assert "litestream.log, missing ids 4666-4669, after the restart of kill 3" in text
    assert run_invoke("soak.analyze", str(run), "-f", "html").returncode == 1
    page = (run / "analysis.html").read_text()
    assert '<h2 id="lost_rows">12. Lost rows</h2>' in page and "<pre>" in page and "4666-4669" in page


def test_a_passed_run_has_no_section_12_and_no_bug_report(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    data = analyze_run(run, Thresholds()).data
    assert "lost_rows" not in data["sections"] and data["verdict"] == "pass"
    md = run_invoke("soak.analyze", str(run), "--format", "markdown").stdout
    assert md.startswith("# Soak analysis") and "How to reproduce" not in md
    assert json.loads((run / "analysis.json").read_text())["reproduce"]["litestream_version"] == "v0.5.16"
