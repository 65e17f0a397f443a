"""Read-only look at the run's SQLite files: size, pages, rows per table (never writes them)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

INTERNAL_TABLES = ("_litestream_seq", "_litestream_lock")


def inspect_db(path: Path) -> dict[str, Any]:
    """Size on disk (+ WAL), page size/count and row counts; ``error`` when SQLite cannot open it."""
    wal = path.with_name(path.name + "-wal")
    info: dict[str, Any] = {
        "path": str(path),
        "size_bytes": path.stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
    }
    for uri in (f"file:{path}?mode=ro", f"file:{path}?immutable=1"):
        try:
            with sqlite3.connect(uri, uri=True, timeout=5) as conn:
                info["page_size"] = conn.execute("PRAGMA page_size").fetchone()[0]
                info["page_count"] = conn.execute("PRAGMA page_count").fetchone()[0]
                names = [
                    row[0]
                    for row in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                    )
                ]
                info["tables"] = {
                    name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                    for name in names
                    if name not in INTERNAL_TABLES
                }
            info.pop("error", None)
            return info
        except sqlite3.Error as exc:
            info["error"] = f"{type(exc).__name__}: {exc}"
    return info
