"""What a restore holds of the source's ``load_test``: a prefix of its ids, checked row by row, and how old it is.

The load only inserts into ``load_test`` (litestream-test load), so the source's rows up to any id never change once
written: a restore taken at any moment (mid-load, at a point in time, after a SIGKILL) must hold exactly the source's
rows up to some id M, with no gap and equal content. ``view_of`` says which M, whether that holds, and when row M
was committed; the periodic, crash and point-in-time checks judge M against what the source held at a given time.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soak.faults.events import FaultEvent
from soak.run.db_compare import _encode, connect_ro, has_no_wal, integrity_check
from soak.run.lost_rows import RowDifference, explain_difference, written_at

TABLE = "load_test"
# Litestream's replica sync interval when litestream.yml sets none (replica.go DefaultSyncInterval, v0.5.16).
LITESTREAM_SYNC_INTERVAL_S = 1.0


def max_id(path: Path, *, busy_timeout_s: float = 2.0, immutable: bool = False) -> int | None:
    """The newest ``load_test`` id (None: no such table or no row)."""
    conn = connect_ro(path, busy_timeout_s, immutable=immutable)
    try:
        row = conn.execute(f"SELECT max(rowid) FROM {TABLE}").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    finally:
        conn.close()
    return None if row is None or row[0] is None else int(row[0])


def commit_time(path: Path, row_id: int, *, immutable: bool = False) -> float | None:
    """Epoch seconds row ``row_id`` was written (its ``text_field`` ``load_<unixnano>``, else ``timestamp``)."""
    conn = connect_ro(path, immutable=immutable)
    try:
        row = conn.execute(f"SELECT text_field, timestamp FROM {TABLE} WHERE rowid = ?", (row_id,)).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return None if row is None else written_at(row, 0, 1)


def prefix_digest(path: Path, upto_id: int, *, immutable: bool = False) -> tuple[int, str]:
    """(rows, sha256) of ``load_test`` ids up to ``upto_id``, encoded as soak.run.db_compare digests rows."""
    conn = connect_ro(path, immutable=immutable)
    try:
        h = hashlib.sha256()
        rows = 0
        cursor = conn.execute(f"SELECT * FROM {TABLE} WHERE rowid <= ? ORDER BY rowid", (upto_id,))
        while batch := cursor.fetchmany(1000):
            for row in batch:
                h.update(b"".join(_encode(v) for v in row) + b"\n")
            rows += len(batch)
        return rows, h.hexdigest()
    finally:
        conn.close()


@dataclass
class PrefixView:
    """A restore of the replica against the source: its integrity, its max id, and whether it is a clean prefix."""

    integrity: str
    restored_max_id: int | None
    restored_rows: int | None = None
    source_rows: int | None = None
    restored_sha256: str | None = None
    source_sha256: str | None = None
    newest_written: float | None = None  # epoch seconds the restore's newest row was committed
    difference: RowDifference | None = None
    error: str | None = None

    @property
    def prefix_ok(self) -> bool:
        """Integrity ok, and the rows up to its max id equal the source's (no gap, same content, same digest)."""
        return (
            self.error is None
            and self.integrity == "ok"
            and self.difference is not None
            and self.difference.equal
            and self.restored_sha256 == self.source_sha256
        )

    def problem(self) -> str | None:
        """What is wrong, every part of it (integrity and the rows lost), None when the prefix is clean."""
        parts: list[str] = []
        if self.error is not None:
            parts.append(self.error)
        if self.integrity != "ok" and self.integrity != self.error:
            parts.append(f"integrity_check: {self.integrity[:200]}")
        if self.difference is not None and not self.difference.equal:
            parts.append(f"rows up to id {self.restored_max_id} differ from the source: {self.difference.summary()}")
        elif self.error is None and self.restored_sha256 != self.source_sha256:
            parts.append(f"sha256 of load_test up to id {self.restored_max_id} differs from the source")
        return "; ".join(parts) or None

    def to_json(self) -> dict[str, Any]:
        return {
            "integrity": self.integrity[:200],
            "restored_max_id": self.restored_max_id,
            "restored_rows": self.restored_rows,
            "source_rows": self.source_rows,
            "digests_equal": self.restored_sha256 == self.source_sha256 and self.restored_sha256 is not None,
            "lost_rows": None if self.difference is None or self.difference.equal else self.difference.to_json(),
            "error": self.error,
        }


def view_of(source: Path, restored: Path, faults: Sequence[FaultEvent] = ()) -> PrefixView:
    """Check ``restored`` as a prefix of ``source``'s load_test; never raises on a damaged restore."""
    if not restored.is_file():
        return PrefixView(integrity="no restored database", restored_max_id=None, error="no restored database")
    immutable = has_no_wal(restored)
    try:
        integrity = integrity_check(restored, immutable=immutable)
        top = max_id(restored, immutable=immutable)
    except sqlite3.DatabaseError as exc:
        return PrefixView(integrity=f"{type(exc).__name__}: {exc}", restored_max_id=None, error=str(exc))
    view = PrefixView(integrity=integrity, restored_max_id=top)
    if top is None:
        view.restored_rows = view.source_rows = 0
        return view
    try:
        view.difference = explain_difference(source, restored, TABLE, faults=faults, upto_id=top)
        view.restored_rows, view.restored_sha256 = prefix_digest(restored, top, immutable=immutable)
        view.source_rows, view.source_sha256 = prefix_digest(source, top)
        view.newest_written = commit_time(restored, top, immutable=immutable)
    except sqlite3.DatabaseError as exc:
        view.error = f"{type(exc).__name__}: {exc}"
    return view


def committed_by(path: Path, t: float, *, immutable: bool = False) -> int | None:
    """The newest load_test id committed at or before epoch ``t`` (its ``text_field`` is ``load_<unixnano>``)."""
    conn = connect_ro(path, immutable=immutable)
    try:
        # 19-digit nanoseconds since 2001: text order is time order.
        row = conn.execute(
            f"SELECT max(rowid) FROM {TABLE} WHERE text_field LIKE 'load_%' AND text_field <= ?",
            (f"load_{int(t * 1e9)}",),
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return None if row is None or row[0] is None else int(row[0])
