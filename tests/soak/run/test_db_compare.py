"""Source vs restore: row counts and content digests per user table, litestream's tables left out."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from soak.run.db_compare import compare, digest_tables, integrity_check


def make_db(path: Path, rows: list[tuple[bytes, str]]) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE load_test (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB, text_field TEXT)")
        conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID")
        conn.execute("CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)")
        conn.executemany("INSERT INTO load_test (data, text_field) VALUES (?, ?)", rows)
        conn.executemany("INSERT INTO kv VALUES (?, ?)", [("b", 2.5), ("a", None)])
        conn.execute("INSERT INTO _litestream_seq VALUES (1, 42)")
    return path


def test_identical_copies_match(tmp_path: Path) -> None:
    src = make_db(tmp_path / "test.db", [(b"\x00\x01", "row_1"), (b"x" * 5000, "row_2")])
    dst = tmp_path / "restored.db"
    shutil.copy(src, dst)
    result = compare(src, dst)
    assert set(result.tables) == {"load_test", "kv"}, "sqlite_% and _litestream_% are not user tables"
    assert result.counts_match and result.digests_match
    assert integrity_check(dst, immutable=True) == "ok"
    assert not (tmp_path / "restored.db-shm").exists(), "reading the restore leaves no sidecars"


def test_same_count_different_content_is_caught(tmp_path: Path) -> None:
    src = make_db(tmp_path / "test.db", [(b"ab", "c")])
    dst = make_db(tmp_path / "restored.db", [(b"a", "bc")])
    result = compare(src, dst)
    assert result.counts_match and not result.digests_match


def test_a_missing_row_is_caught(tmp_path: Path) -> None:
    src = make_db(tmp_path / "test.db", [(b"a", "1"), (b"b", "2")])
    dst = make_db(tmp_path / "restored.db", [(b"a", "1")])
    result = compare(src, dst)
    assert not result.counts_match
    assert result.tables["load_test"]["source_rows"] == 2 and result.tables["load_test"]["restored_rows"] == 1


def test_digest_follows_primary_key_order_not_insert_order(tmp_path: Path) -> None:
    one = make_db(tmp_path / "one.db", [])
    two = tmp_path / "two.db"
    with sqlite3.connect(two) as conn:
        conn.execute("CREATE TABLE load_test (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB, text_field TEXT)")
        conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID")
        conn.executemany("INSERT INTO kv VALUES (?, ?)", [("a", None), ("b", 2.5)])
    assert digest_tables(one)["kv"] == digest_tables(two)["kv"]
