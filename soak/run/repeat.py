"""``soak.overnight --repeat N``: the same soak N times, and a verdict over all of them that no lucky run can pass.

An intermittent bug (a checkpoint race that corrupts one restore in three) passes most single runs. Repeating the
soak with fault seeds derived from ``--fault-seed`` (run n uses seed + n - 1, so run 1 is the plain soak with that
seed) shows it as "digests failed 1 of 3". The repeat passes only when every run passed.

Each run is an ordinary run directory, ``run-<n>/`` under the test dir, analyzable on its own; ``repeat.json`` beside
them (soak.rundir.RepeatDir) is rewritten after every run, so an interrupted repeat keeps what it saw. A run that
stops on a broken environment (a UserError) stops the repeat: running it again would only repeat the error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from common.errors import UserError
from common.timestamps import utc_now
from soak.run.overnight import SoakRun, run_soak
from soak.rundir import EXIT_CODES, RepeatDir, RunDir

INTERRUPT_CODES = (130, 143)
MakeRun = Callable[[int, RunDir, int | None], SoakRun]


def derived_seed(base: int | None, number: int) -> int | None:
    """Run ``number``'s fault seed: ``base + number - 1`` (None without fault options)."""
    return None if base is None else base + number - 1


def _result(run_dir: str | None) -> dict[str, Any] | None:
    if not run_dir:
        return None
    try:
        data = json.loads(RunDir(Path(run_dir)).result_json.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def tally(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per check name, in the order first seen: runs where it passed, failed, or never ran (from each result.json)."""
    results = [_result(run.get("run_dir")) for run in runs]
    names: list[str] = []
    for result in results:
        for check in (result or {}).get("checks") or []:
            if isinstance(check, dict) and isinstance(check.get("name"), str) and check["name"] not in names:
                names.append(check["name"])
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        row: dict[str, Any] = {"passed": 0, "failed": 0, "not_judged": 0, "not_run": 0, "failed_runs": []}
        for run, result in zip(runs, results, strict=True):
            found = [c for c in (result or {}).get("checks") or [] if isinstance(c, dict) and c.get("name") == name]
            if not found:
                row["not_run"] += 1
            elif all(c.get("passed") is True for c in found):
                row["passed"] += 1
            elif any(c.get("passed") is False for c in found):
                row["failed"] += 1
                row["failed_runs"].append(run["n"])
            else:
                row["not_judged"] += 1
        out[name] = row
    return out


def failed_of(row: dict[str, Any], total: int) -> str:
    """``failed 1 of 3 (run 2)``, ``failed 2 of 3 (runs 1, 3)``."""
    runs = row["failed_runs"]
    return f"failed {row['failed']} of {total} (run{'s' if len(runs) > 1 else ''} {', '.join(map(str, runs))})"


def summary_line(record: dict[str, Any]) -> str:
    """``2 of 3 runs passed; digests failed 1 of 3 (run 2)``: the repeat's verdict in words."""
    total = record["repeat"]
    text = f"{record['passed']} of {total} runs passed"
    failures = [f"{name} {failed_of(row, total)}" for name, row in record["checks"].items() if row["failed"]]
    failures += [
        f"{name} not judged in {row['not_judged']} of {total}"
        for name, row in record["checks"].items()
        if row.get("not_judged")
    ]
    not_run = sum(1 for run in record["runs"] if run["status"] == "not_run")
    if failures:
        text += "; " + "; ".join(failures)
    errors = [
        r
        for r in record["runs"]
        if r["status"] in ("error", "fail", "incomplete", "interrupted") and not r.get("failed_checks")
    ]
    text += "".join(f"; run {r['n']} {r['status']}: {r.get('reason') or 'no reason'}" for r in errors)
    if not_run:
        text += f"; {not_run} not run"
    return text


def _status(record: dict[str, Any]) -> str:
    """fail if any run failed; pass if all passed; incomplete if the rest could not be judged; else interrupted."""
    statuses = [run["status"] for run in record["runs"]]
    if any(s in ("fail", "error") for s in statuses):
        return "fail"
    if all(s == "pass" for s in statuses):
        return "pass"
    if all(s in ("pass", "incomplete") for s in statuses):
        return "incomplete"
    return "interrupted"


def _entry(number: int, dirs: RunDir, seed: int | None, code: int | None) -> dict[str, Any]:
    result = _result(str(dirs.root))
    lost = (result or {}).get("lost_rows") or {}
    failed = [
        str(c.get("name"))
        for c in (result or {}).get("checks") or []
        if isinstance(c, dict) and c.get("passed") is False
    ]
    status = (result or {}).get("status")
    return {
        "n": number,
        "run_dir": str(dirs.root),
        "fault_seed": seed,
        "status": status if status in ("pass", "fail", "incomplete", "interrupted") else "fail",
        "exit_code": code,
        "reason": (result or {}).get("reason") if result else "no result.json was written",
        "failed_checks": failed,
        "lost_rows": lost.get("summary") if isinstance(lost, dict) else None,
    }


def print_table(console: Console, record: dict[str, Any]) -> None:
    """Each check over the runs: ``3 of 3`` passed, ``failed 1 of 3 (run 2)``."""
    total = record["repeat"]
    table = Table(title=f"repeat: {total} runs of the same soak", title_justify="left")
    for column in ("check", "passed", "failed", "not judged", "not run"):
        table.add_column(column)
    for name, row in record["checks"].items():
        failed = failed_of(row, total)
        table.add_row(
            name,
            f"{row['passed']} of {total}",
            Text(failed, style="red") if row["failed"] else "-",
            Text(str(row["not_judged"]), style="yellow") if row.get("not_judged") else "-",
            str(row["not_run"]) if row["not_run"] else "-",
        )
    console.print(table)
    for run in record["runs"]:
        seed = "" if run["fault_seed"] is None else f" (fault seed {run['fault_seed']})"
        console.print(Text(f"  run {run['n']}{seed}: {run['status'].upper()} {run['run_dir']}"))
        if run.get("lost_rows"):
            console.print(Text(f"    lost rows: {run['lost_rows']}"))


def run_repeat(
    count: int,
    parent: RepeatDir,
    base_seed: int | None,
    make_run: MakeRun,
    console: Console,
    soak: Callable[[SoakRun], int] = run_soak,
) -> int:
    """Run the soak ``count`` times; 0 only when every run passed (1 when any failed, 3 when the rest could not all
    be judged, 130/143 when interrupted).

    ``soak`` runs one soak and returns its exit code (run_soak; tests give their own)."""
    runs: list[dict[str, Any]] = [
        {"n": n, "run_dir": None, "fault_seed": derived_seed(base_seed, n), "status": "not_run", "exit_code": None}
        for n in range(1, count + 1)
    ]
    record: dict[str, Any] = {
        "status": "running",
        "repeat": count,
        "base_fault_seed": base_seed,
        "started_at": utc_now(),
        "ended_at": None,
        "passed": 0,
        "failed": 0,
        "runs": runs,
        "checks": {},
        "summary": None,
    }

    def save(final: bool) -> None:
        record["checks"] = tally([r for r in runs if r["run_dir"]])
        record["passed"] = sum(1 for r in runs if r["status"] == "pass")
        record["failed"] = sum(1 for r in runs if r["status"] in ("fail", "error"))
        record["summary"] = summary_line(record)
        record["status"] = _status(record) if final else "running"
        record["ended_at"] = utc_now() if final else None
        parent.write(record)

    save(False)
    code = 0
    for entry in runs:
        number, seed = entry["n"], entry["fault_seed"]
        dirs = parent.run(number)
        seed_text = "" if seed is None else f", fault seed {seed}"
        console.print(Text.assemble(("repeat", "bold"), f" run {number} of {count}{seed_text}: {dirs.root}"))
        run = make_run(number, dirs, seed)
        try:
            run_code = soak(run)
        except UserError as err:
            entry.update(_entry(number, dirs, seed, err.code), status="error", reason=err.line())
            save(True)
            stopped = f"repeat stopped at run {number} of {count}: {err}"
            raise UserError(stopped, code=err.code, where=str(parent.root)) from None
        entry.update(_entry(number, dirs, seed, run_code))
        save(False)
        if run_code in INTERRUPT_CODES:
            code = run_code
            break
    save(True)
    console.print()
    print_table(console, record)
    word = record["status"].upper()
    console.print(Text.assemble((word, "bold"), f": {record['summary']}"))
    console.print(Text(f"repeat summary in {parent.repeat_json}"))
    if code:
        return code
    return EXIT_CODES.get(record["status"], 1)
