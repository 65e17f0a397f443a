"""A real ``litestream replicate`` of a small load_test database into a file replica, and a writer for it.

For the replica-check tests: the binary comes from LITESTREAM_BIN_DIR (a `go install`ed release, e.g. v0.5.16 in
/tmp/ls-bin-v0.5.16); without it the tests skip and say how to provide one.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.lost_rows import LOAD_TEST


def litestream_binary() -> Path:
    """LITESTREAM_BIN_DIR/litestream, or a skip naming the variable."""
    where = os.environ.get("LITESTREAM_BIN_DIR")
    binary = Path(where) / "litestream" if where else None
    if binary is None or not os.access(binary, os.X_OK):
        pytest.skip("set LITESTREAM_BIN_DIR to a directory holding a real litestream (e.g. go install ...@v0.5.16)")
    return binary


@dataclass
class Replicated:
    """The source database, its file replica, the litestream process, and a writer thread inserting rows."""

    binary: Path
    db: Path
    replica: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    writing: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def restore(self, out: Path, *options: str) -> int:
        argv = [str(self.binary), "restore", *options, "-o", str(out), f"file://{self.replica}"]
        with self.log.open("ab") as fh:
            return subprocess.run(argv, stdout=fh, stderr=subprocess.STDOUT, timeout=120, check=False).returncode

    def rows(self) -> int:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM load_test").fetchone()[0])

    def _write(self) -> None:
        conn = sqlite3.connect(self.db, timeout=5)
        try:
            while not self.stop.is_set():
                if self.writing.is_set():
                    with conn:
                        conn.execute(
                            "INSERT INTO load_test (data, text_field, int_field, timestamp) VALUES (?, ?, ?, ?)",
                            (os.urandom(64), f"load_{time.time_ns()}", 7, int(time.time())),
                        )
                time.sleep(0.02)
        finally:
            conn.close()


def replicated(tmp_path: Path) -> Iterator[Replicated]:
    """Start litestream on a fresh WAL database and a writer (paused: ``writing.set()`` starts it)."""
    rep = Replicated(
        binary=litestream_binary(),
        db=tmp_path / "test.db",
        replica=tmp_path / "replica",
        log=tmp_path / "litestream.log",
    )
    with sqlite3.connect(rep.db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(LOAD_TEST)
    conn.close()
    config = tmp_path / "litestream.yml"
    config.write_text(f"dbs:\n  - path: {rep.db}\n    replica:\n      type: file\n      path: {rep.replica}\n")
    with rep.log.open("ab") as fh:
        rep.proc = subprocess.Popen(
            [str(rep.binary), "replicate", "-config", str(config)], stdout=fh, stderr=subprocess.STDOUT
        )
    rep.thread = threading.Thread(target=rep._write, daemon=True)
    rep.thread.start()
    try:
        yield rep
    finally:
        rep.stop.set()
        rep.thread.join(10)
        if rep.proc.poll() is None:
            rep.proc.send_signal(18)  # SIGCONT, in case a test stopped it
            rep.proc.terminate()
            try:
                rep.proc.wait(30)
            except subprocess.TimeoutExpired:
                rep.proc.kill()
                rep.proc.wait()
