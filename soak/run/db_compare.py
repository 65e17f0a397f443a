"""Is the restore the database? integrity_check, then row counts and content digests per user table."""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Not user data: SQLite's internals, and the _litestream_seq and _litestream_lock tables Litestream adds to the
# database it replicates (db.go).
_USER_TABLES = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_litestream\\_%' ESCAPE '\\' ORDER BY name"
)


def connect_ro(path: Path, busy_timeout_s: float = 5.0, *, immutable: bool = False) -> sqlite3.Connection:
    """A read-only connection that never creates the file and waits at most ``busy_timeout_s`` on locks.

    ``immutable`` is for a finished restore: no -wal/-shm sidecars get created next to it.
    """
    query = "mode=ro&immutable=1" if immutable else "mode=ro"
    return sqlite3.connect(f"file:{path}?{query}", uri=True, timeout=busy_timeout_s)


def has_no_wal(path: Path) -> bool:
    """True when no non-empty -wal sits beside ``path``: reading it as immutable then loses nothing."""
    wal = path.with_name(path.name + "-wal")
    return not wal.exists() or wal.stat().st_size == 0


def user_tables(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return [(str(name), str(sql or "")) for name, sql in conn.execute(_USER_TABLES)]


def count_rows(path: Path, busy_timeout_s: float = 0.5) -> dict[str, int]:
    """Rows per user table, read-only with a short busy timeout (the monitor calls this under load)."""
    conn = connect_ro(path, busy_timeout_s)
    try:
        return {
            name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]) for name, _ in user_tables(conn)
        }
    finally:
        conn.close()


def describe_rows(rows: dict[str, int]) -> str:
    """Row counts for people: ``test_table_0 5,120 rows, load_test 0 rows``."""
    return ", ".join(f"{name} {count:,} row{'' if count == 1 else 's'}" for name, count in rows.items()) or "no tables"


def _encode(value: object) -> bytes:
    """Type-tagged, length-prefixed bytes, so (b"a", b"bc") and (b"ab", b"c") hash differently."""
    if value is None:
        return b"n"
    if isinstance(value, int):
        return b"i" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"f" + struct.pack(">d", value)
    if isinstance(value, str):
        tag, raw = b"t", value.encode()
    elif isinstance(value, bytes | bytearray | memoryview):
        tag, raw = b"b", bytes(value)
    else:
        raise TypeError(f"unexpected SQLite value {type(value).__name__}")
    return tag + struct.pack(">Q", len(raw)) + raw


def _order_by(conn: sqlite3.Connection, table: str, sql: str) -> str:
    if "WITHOUT ROWID" not in sql.upper():
        return "rowid"
    pk = [row[1] for row in sorted(conn.execute(f'PRAGMA table_info("{table}")'), key=lambda r: r[5]) if row[5]]
    return ", ".join(f'"{c}"' for c in pk)


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str


def digest_tables(path: Path, *, immutable: bool = False) -> dict[str, TableDigest]:
    """sha256 streamed over every row of every user table, ordered by rowid (or primary key)."""
    conn = connect_ro(path, immutable=immutable)
    try:
        out: dict[str, TableDigest] = {}
        for name, sql in user_tables(conn):
            h = hashlib.sha256()
            rows = 0
            cursor = conn.execute(f'SELECT * FROM "{name}" ORDER BY {_order_by(conn, name, sql)}')
            while batch := cursor.fetchmany(1000):
                for row in batch:
                    h.update(b"".join(_encode(v) for v in row) + b"\n")
                rows += len(batch)
            out[name] = TableDigest(rows=rows, sha256=h.hexdigest())
        return out
    finally:
        conn.close()


def integrity_check(path: Path, *, immutable: bool = False) -> str:
    """``PRAGMA integrity_check`` joined into one string: ``ok`` when the database is sound."""
    conn = connect_ro(path, immutable=immutable)
    try:
        return "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


@dataclass
class Comparison:
    """Source vs restored, table by table, as result.json's ``tables`` object."""

    tables: dict[str, dict[str, Any]]

    @property
    def counts_match(self) -> bool:
        return bool(self.tables) and all(t["source_rows"] == t["restored_rows"] for t in self.tables.values())

    @property
    def digests_match(self) -> bool:
        return bool(self.tables) and all(t["source_sha256"] == t["restored_sha256"] for t in self.tables.values())


def compare(source: Path, restored: Path) -> Comparison:
    src = digest_tables(source)
    dst = digest_tables(restored, immutable=has_no_wal(restored))
    tables: dict[str, dict[str, Any]] = {}
    for name in sorted(set(src) | set(dst)):
        s, d = src.get(name), dst.get(name)
        tables[name] = {
            "source_rows": s.rows if s else None,
            "restored_rows": d.rows if d else None,
            "source_sha256": s.sha256 if s else None,
            "restored_sha256": d.sha256 if d else None,
        }
    return Comparison(tables)
