"""``--final-stop kill``: end litestream with SIGKILL, so no shutdown sync can be what makes a run pass.

A graceful SIGTERM runs a final sync that uploads everything before the restore; a build whose uploads stalled
during the load still passes that way. After a SIGKILL the replica holds only what litestream had uploaded on its
own. ``crash_restore`` then requires every row committed more than one sync interval plus a slack before the kill;
rows committed after that may legitimately be missing, but only as a tail: the restore must be a clean prefix.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from common.timestamps import iso_utc
from soak.faults.events import read_fault_events
from soak.run.db_compare import Comparison, count_rows
from soak.run.periodic_restore import FLOOR_SLACK_S
from soak.run.replica_view import LITESTREAM_SYNC_INTERVAL_S, TABLE, committed_by, max_id, view_of

if TYPE_CHECKING:
    from soak.run.overnight import SoakRun


def kill_litestream(run: SoakRun) -> None:
    """SIGKILL litestream's process group now, and write down the rows the replica owes."""
    assert run.litestream is not None
    killed_at = time.time()
    run.litestream.kill()
    run.litestream.stop(grace_s=0)  # reap it
    floor = committed_by(run.dirs.db, killed_at - LITESTREAM_SYNC_INTERVAL_S - FLOOR_SLACK_S)
    top = max_id(run.dirs.db, busy_timeout_s=5)
    after_load = None if run.load_stopped_at is None else round(killed_at - run.load_stopped_at, 3)
    run.result.kill = {
        "t": iso_utc(killed_at),
        "after_load_s": after_load,  # the load's stop to the kill: catch-up must not happen in between
        "floor_id": floor,
        "source_max_id": top,
        "restored_max_id": None,
    }
    run.result.rows_written = count_rows(run.dirs.db, busy_timeout_s=5).get(TABLE)
    run.say(
        f"  litestream SIGKILLed (no shutdown sync); the restore must hold load_test ids up to {floor} "
        f"(committed {LITESTREAM_SYNC_INTERVAL_S + FLOOR_SLACK_S:g}s before the kill) of {top}; "
        f"killed {after_load if after_load is not None else '?'}s after the load stopped"
    )


def judge_crash_restore(run: SoakRun, comparison: Comparison) -> bool:
    """The ``crash_restore`` check (returned); when it holds, a load_test tail newer than the floor is no row_counts
    failure, and no lost rows either."""
    kill = run.result.kill or {}
    floor = kill.get("floor_id")
    view = view_of(run.dirs.db, run.dirs.restored, read_fault_events(run.dirs.faults_log).events)
    kill["restored_max_id"] = view.restored_max_id
    problem = view.problem()
    top = view.restored_max_id or 0
    source_top = kill.get("source_max_id")
    if problem is None and floor is None:
        # Fail closed: without a floor nothing says which rows the replica owed (no row committed before it, or the
        # source could not be read), so a short restore would pass unnoticed.
        problem = (
            "cannot judge: no floor (no load_test row committed "
            f"{LITESTREAM_SYNC_INTERVAL_S + FLOOR_SLACK_S:g}s before the kill could be read from the source)"
        )
    if problem is None and view.restored_max_id is None and source_top:
        problem = f"the restore holds no load_test row, but the source holds ids up to {source_top}"
    if problem is None and floor is not None and top < floor:
        problem = f"the restore holds load_test ids up to {top}, but ids up to {floor} were committed before the kill"
    ok = problem is None
    detail = (
        f"after SIGKILL the restore is a clean prefix up to id {top} of {source_top}; "
        f"ids up to {floor} required (committed {LITESTREAM_SYNC_INTERVAL_S + FLOOR_SLACK_S:g}s before the kill)"
        if ok
        else f"after SIGKILL: {problem}"
    )
    run.result.check("crash_restore", ok, detail, top)
    table = comparison.tables.get(TABLE)
    if ok and table is not None and source_top is not None and top < source_top:
        # Rows after the floor that the kill cut off: the source side becomes its prefix up to the restore's max id
        # (counted and digested by view_of), so row_counts/digests judge the rest exactly.
        table["source_rows"] = view.source_rows
        table["source_sha256"] = view.source_sha256
        table["compared_upto_id"] = top
        run.note(f"load_test ids {top + 1}-{source_top} were committed within the last sync before the kill")
    return ok
