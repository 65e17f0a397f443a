"""Reports: analysis.json schema, text/markdown, the self-contained HTML, old bash run dirs, compare."""

from __future__ import annotations

import json
import re
from pathlib import Path

from soak.analyze.analysis import analyze_run
from soak.analyze.compare import compare, render
from soak.analyze.criteria import CRITERIA, Thresholds
from soak.analyze.render.text import render_markdown
from soak.analyze.shape import SHAPE_CRITERIA
from soak.analyze.tasks import write_reports
from tests.support.analyze import copy_rundir, old_bash_rundir

SECTIONS = [
    "timeline", "database", "replication", "compaction", "load",
    "errors", "checkpoints", "validation", "resources", "summary", "faults", "shape",
]  # fmt: skip


def test_analysis_json_schema(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    data = analyze_run(run, Thresholds()).data
    assert data["schema_version"] == 1
    assert data["run_dir"] == str(run)
    assert [c["name"] for c in data["criteria"]] == list(CRITERIA + SHAPE_CRITERIA)
    assert all(set(c) == {"name", "status", "value", "threshold", "detail"} for c in data["criteria"])
    assert list(data["sections"]) == SECTIONS
    assert data["missing"] == []
    json.dumps(data)  # serialisable as is


def test_sections_carry_the_fixture_numbers(tmp_path: Path) -> None:
    s = analyze_run(copy_rundir(tmp_path), Thresholds()).data["sections"]
    assert s["replication"]["l0_uploads"] == 213 and s["replication"]["snapshots"] == 3
    assert {k: v["count"] for k, v in s["compaction"]["levels"].items()} == {"1": 11, "2": 4, "3": 1, "9": 3}
    assert s["compaction"]["levels"]["1"]["observed_interval_s"]["median"] == pytest_approx(10, 1)
    assert s["checkpoints"]["modes"] == {"PASSIVE": 26} and s["checkpoints"]["configured_interval_s"] == 10
    assert s["load"]["rows_written"] == 7128 and 35 < s["load"]["actual_write_rate"] < 45
    assert s["database"]["rows_last"] == 7128
    assert s["resources"]["rss_bytes_peak"] > 10e6
    assert s["validation"]["restore_ok"] is True
    assert s["faults"]["faults"][0]["kind"] == "outage"


def pytest_approx(value: float, tol: float) -> object:
    import pytest

    return pytest.approx(value, abs=tol)


def test_html_is_one_self_contained_file_with_all_charts_and_the_checklist(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    analysis = analyze_run(run, Thresholds())
    write_reports(run, analysis, html_to=run / "analysis.html")
    html = (run / "analysis.html").read_text()
    images = re.findall(r'<img alt="([^"]+)"[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert [title for title, _ in images] == [
        "Database and WAL size", "S3 objects per level", "Write rate",
        "Replication lag", "Litestream RSS and CPU", "Uploads and errors", "Replica age",
    ]  # fmt: skip
    assert all(len(png) > 5000 for _, png in images)
    assert "<script" not in html.lower()
    assert not re.search(r'(?:src|href)="(?!data:|#)', html)  # nothing external
    assert html.index('id="checklist"') < html.index('id="charts"')
    for name in CRITERIA:
        assert f"<code>{name}</code>" in html
    assert html.count("<h2") == 2 + len(SECTIONS)
    assert [p.name for p in run.glob("analysis*")] and not list(run.glob("*.png"))


def test_markdown_and_text(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    analysis = analyze_run(run, Thresholds())
    texts = write_reports(run, analysis)
    assert "VERDICT: PASS - 12/13 criteria passed; not judged: memory_stable" in texts["text"]
    assert "11. Faults" in texts["text"] and re.search(r"\n\s*n/a\s+memory_stable\s", texts["text"])
    md = render_markdown(analysis.data)
    assert "| ✔ | `restore` |" in md and "## 4. Compaction" in md


def test_old_bash_run_dir_says_which_sections_have_no_data(tmp_path: Path) -> None:
    run = old_bash_rundir(tmp_path)
    data = analyze_run(run, Thresholds()).data
    assert data["no_data"] == ["resources"]
    assert data["missing_starves"]["metrics.jsonl"] == [
        "database",
        "replication",
        "resources",
    ]
    status = {c["name"]: c["status"] for c in data["criteria"]}
    assert status["rows_and_digests"] == "pass" and status["memory_stable"] == "na"
    assert "no content digests" in next(c for c in data["criteria"] if c["name"] == "rows_and_digests")["detail"]
    assert data["sections"]["database"]["source"]["tables"] == {"load_test": 50}
    text = write_reports(run, analyze_run(run, Thresholds()), html_to=run / "analysis.html")["text"]
    assert "NO DATA: no metrics.jsonl: no RSS/CPU samples" in text
    assert "no data: metrics.jsonl" not in text  # the chart placeholders live in the HTML only
    assert (run / "analysis.html").exists()


def test_compare_side_by_side(tmp_path: Path) -> None:
    a = analyze_run(copy_rundir(tmp_path, "a"), Thresholds()).data
    b = analyze_run(old_bash_rundir(tmp_path), Thresholds()).data
    rows = {r["figure"]: r for r in compare(a, b)}
    assert rows["l0_uploads"]["a"] == 213 and rows["l0_uploads"]["b"] == 208
    assert rows["l0_uploads"]["delta"] == -5
    assert rows["compactions_l1"]["delta"] == 17 - 11
    assert rows["verdict"]["a"] == "pass"
    text = render(list(rows.values()), "A", "B", "text")
    assert re.search(r"l0_uploads\s+213\s+208\s+-5 \(-2\.3%\)", text)
    md = render(list(rows.values()), "A", "B", "markdown")
    assert "| l0_uploads | 213 | 208 | -5 (-2.3%) |" in md
    assert json.loads(render(list(rows.values()), "A", "B", "json"))["rows"][0]["figure"] == "duration_s"
