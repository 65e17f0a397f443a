"""Tasks: ``soak.analyze`` (report, charts, pass criteria) and ``soak.compare`` (run-to-run deltas).

Exit status of ``soak.analyze``: 0 pass, 1 fail, 2 unreadable input, 3 incomplete (the run did not finish, or its
restore or rows were not judged). A verdict other than pass is also one line on stderr, saying why.
"""

from __future__ import annotations

import sys
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from common.errors import UserError, fail_cleanly
from common.invoke_tasks import Task
from common.units import parse_duration
from soak.analyze import compare as comparemod
from soak.analyze.analysis import Analysis, analyze_run
from soak.analyze.criteria import Thresholds
from soak.analyze.inputs import resolve_run_dir
from soak.analyze.render.tables import VERDICT_WORD
from soak.analyze.render.text import render_json, render_markdown, render_text
from soak.rundir import EXIT_CODES, RunDir

FORMATS = ("text", "json", "markdown", "html")


def _duration(text: str, flag: str) -> float:
    """A duration flag; a bad one is a usage error like every other bad input (exit 2)."""
    try:
        return parse_duration(text, name=flag)
    except UserError as exc:
        raise UserError(str(exc), code=2) from None


def _number(text: str | None, flag: str, kind: type[int] | type[float]) -> float | None:
    if text in (None, ""):
        return None
    try:
        return kind(str(text))
    except ValueError:
        raise UserError(f"--{flag} {text!r} is not a {kind.__name__}; e.g. --{flag} 5", code=2) from None


def thresholds_from_flags(
    max_critical: str | None,
    min_snapshots: str | None,
    snapshot_ratio: str,
    growth_ratio: str,
    rss_slope: str,
    memory_window: str,
) -> Thresholds:
    crit_limit = _number(max_critical, "max-critical", int)
    snaps = _number(min_snapshots, "min-snapshots", int)
    return Thresholds(
        max_critical=None if crit_limit is None else int(crit_limit),
        min_snapshots=None if snaps is None else int(snaps),
        snapshot_ratio=float(_number(snapshot_ratio, "snapshot-ratio", float) or 0.8),
        growth_ratio=float(_number(growth_ratio, "growth-ratio", float) or 0.0),
        rss_slope_pct_per_h=float(_number(rss_slope, "rss-slope", float) or 0.0),
        memory_window_s=_duration(memory_window, "memory-window"),
    )


def run_analysis(run_dir: str, thresholds: Thresholds, fault_grace: str) -> tuple[Path, Analysis]:
    """Resolve RUN_DIR and analyze it; any unexpected failure on odd input is one line, exit 2."""
    path = resolve_run_dir(run_dir)
    grace = _duration(fault_grace, "fault-grace")
    try:
        return path, analyze_run(path, thresholds, fault_grace_s=grace)
    except UserError:
        raise
    except Exception as exc:  # a report must never end in a traceback
        raise UserError(f"cannot analyze {path}: {type(exc).__name__}: {exc}", code=2) from None


def write_reports(path: Path, analysis: Analysis, html_to: Path | None = None) -> dict[str, str]:
    """analysis-report.txt and analysis.json always, the HTML report when ``html_to`` is given; returns the texts."""
    dirs = RunDir(path)
    texts = {"text": render_text(analysis.data), "json": render_json(analysis.data)}
    files = {dirs.analysis_report: texts["text"], dirs.analysis_json: texts["json"]}
    if html_to is not None:
        from soak.analyze.render.html import render_html  # matplotlib is slow to import: only when asked

        texts["html"] = render_html(analysis.data, analysis.charts)
        files[html_to] = texts["html"]
    for target, text in files.items():
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            flag = "--output " if target == html_to and target.parent != path else ""
            raise UserError(f"cannot write {flag}{target}: {exc.strerror}; make it writable") from None
    return texts


@task(
    klass=Task,
    optional_positional="run_dir",
    short_flags={"run_dir": "r", "format": "f", "output": "o"},
    help={
        "run_dir": "the soak run directory, also as the first argument (invoke soak.analyze DIR); "
        "default latest: the newest finished (with result.json) litestream-overnight-* in the system temp dir",
        "format": "text (default), json or markdown to stdout; html writes analysis.html (or --output) and prints "
        "its path",
        "output": "write the --format report to this file instead of stdout; stdout gets the one-line verdict",
        "max_critical": "a whole number: critical errors must stay below it (default: 10 for 8 h, scaled by "
        "duration, at least 1)",
        "min_snapshots": "a whole number of snapshots required (default: --snapshot-ratio x duration / snapshot "
        "interval)",
        "snapshot_ratio": "a fraction: of duration/snapshot-interval snapshots required (default 0.8)",
        "growth_ratio": "a fraction: of the ten growth windows in which rows must grow (default 0.8)",
        "rss_slope": "a number: max litestream RSS slope over the second half, % of its median per hour (default 5)",
        "memory_window": "a duration: second half shorter than this, memory_stable is not judged (default 10m)",
        "fault_grace": "a duration: errors up to this long after a fault window still count as expected (default 30s)",
    },
)
@fail_cleanly
def analyze(
    c: Context,
    run_dir: str = "latest",
    format: str = "text",
    output: str | None = None,
    max_critical: str | None = None,
    min_snapshots: str | None = None,
    snapshot_ratio: str = "0.8",
    growth_ratio: str = "0.8",
    rss_slope: str = "5",
    memory_window: str = "10m",
    fault_grace: str = "30s",
) -> None:
    """Analyze a soak run directory: report, pass criteria, charts; exit 0 pass, 1 fail, 2 bad input, 3 incomplete.

    invoke soak.analyze [DIR]: DIR as the first argument or as --run-dir; without it, the newest run.
    """
    if format not in FORMATS:
        raise UserError(f"--format {format!r} is not one of {', '.join(FORMATS)}", code=2)
    thresholds = thresholds_from_flags(
        max_critical, min_snapshots, snapshot_ratio, growth_ratio, rss_slope, memory_window
    )
    path, analysis = run_analysis(run_dir, thresholds, fault_grace)
    target = Path(output) if output else None
    if format == "html":
        html = target or RunDir(path).analysis_html
        write_reports(path, analysis, html_to=html)
        print(f"{verdict_summary(analysis)} (report in {html})")
    else:
        texts = write_reports(path, analysis)
        chosen = texts.get(format) or render_markdown(analysis.data)
        if target is not None:
            try:
                target.write_text(chosen, encoding="utf-8")
            except OSError as exc:
                raise UserError(f"cannot write --output {output}: {exc.strerror}", where=str(path)) from None
            print(f"{verdict_summary(analysis)} (report in {output})")
        else:
            sys.stdout.write(chosen)
            if analysis.verdict != "pass":
                print(verdict_summary(analysis), file=sys.stderr)  # the report is long; the why is one line
    if analysis.verdict != "pass":
        raise Exit(code=EXIT_CODES.get(analysis.verdict, 1))


def verdict_summary(analysis: Analysis) -> str:
    """``PASS: 7/8 criteria passed; ...`` or ``INCOMPLETE: in progress: ...``: the verdict in one line."""
    data = analysis.data
    word = VERDICT_WORD.get(analysis.verdict, analysis.verdict.upper())
    return f"{word}: {data['reason']}" if data.get("reason") else f"{word}: {data['headline']}"


@task(
    klass=Task,
    positional=["run_a", "run_b"],
    short_flags={"format": "f"},
    help={
        "run_a": "first (baseline) soak run directory: invoke soak.compare A B",
        "run_b": "second soak run directory; deltas are B - A",
        "format": "text (default), markdown or json",
        "fault_grace": "a duration, as for soak.analyze (default 30s)",
    },
)
@fail_cleanly
def compare(c: Context, run_a: str, run_b: str, format: str = "text", fault_grace: str = "30s") -> None:
    """Compare two soak runs side by side: key figures and their deltas (nothing is written).

    invoke soak.compare A B: the baseline run directory A, then B; deltas are B - A.
    """
    if format not in ("text", "markdown", "json"):
        raise UserError(f"--format {format!r} is not one of text, markdown, json", code=2)
    thresholds = Thresholds()
    path_a, a = run_analysis(run_a, thresholds, fault_grace)
    path_b, b = run_analysis(run_b, thresholds, fault_grace)
    rows = comparemod.compare(a.data, b.data)
    sys.stdout.write(comparemod.render(rows, str(path_a), str(path_b), format))
