"""A real ``litestream replicate`` of a small load_test database into a file replica, and a writer for it.

For the replica-check tests: the binary is the ``litestream`` fixture's (the pinned release unless LITESTREAM_BIN_DIR
or LITESTREAM_SRC say otherwise), so they run on every machine, CI included.
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

from tests.support.lost_rows import LOAD_TEST


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


def replicated(tmp_path: Path, binary: Path) -> Iterator[Replicated]:
    """Start ``binary`` (litestream) on a fresh WAL database and a writer (paused: ``writing.set()`` starts it)."""
    rep = Replicated(
        binary=binary,
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
