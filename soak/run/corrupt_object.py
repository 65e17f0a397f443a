"""``--corrupt-object``: a restore from a replica with one truncated LTX object must fail with an error.

The replica is copied to a scratch prefix (S3) or directory (file replica), so the real one stays intact. The LTX
object to damage is one the restore really reads: the last file of ``litestream restore -dry-run -json``'s plan
(its newest). It is cut to half its size, then restored. A clean error is what a sound restore does (exit 1, no Go
panic); a crash (``panic:``, exit 2) or a death by a signal is no clean error; a restore that "succeeds" is a
failure, and one that succeeds with data other than the source's is the worst result and says so. The copy is deleted
afterwards, pass or fail (on a real bucket it would double the storage).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from soak.run.db_compare import compare
from soak.run.s3 import S3Target

SUFFIX = "-corrupt"


class ScratchReplica(Protocol):
    """A copy of the replica that can be damaged; ``url`` is what ``litestream restore`` reads."""

    def copy(self) -> int: ...
    def truncate(self, level: int, name: str) -> tuple[int, int]: ...
    @property
    def url(self) -> str: ...
    def url_of_original(self) -> str: ...
    def remove(self) -> int: ...


@dataclass
class FileScratch:
    """A file replica (``<root>/ltx/<level>/<name>``, litestream.go) copied beside itself."""

    root: Path

    @property
    def scratch(self) -> Path:
        return self.root.with_name(self.root.name + SUFFIX)

    def copy(self) -> int:
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.copytree(self.root, self.scratch)
        return sum(1 for p in self.scratch.rglob("*.ltx"))

    def truncate(self, level: int, name: str) -> tuple[int, int]:
        path = self.scratch / "ltx" / str(level) / name
        size = path.stat().st_size
        with path.open("r+b") as fh:
            fh.truncate(size // 2)
        return size, size // 2

    @property
    def url(self) -> str:
        return f"file://{self.scratch}"

    def remove(self) -> int:
        """Delete the copy; the number of LTX files it held."""
        if not self.scratch.exists():
            return 0
        n = sum(1 for p in self.scratch.rglob("*.ltx"))
        shutil.rmtree(self.scratch)
        return n

    def url_of_original(self) -> str:
        return f"file://{self.root}"


@dataclass
class S3Scratch:
    """An S3 replica (``<prefix>/<level %04x>/<name>``, s3/replica_client.go) copied to ``<prefix>-corrupt/``."""

    target: S3Target

    @property
    def scratch_target(self) -> S3Target:
        return S3Target(
            bucket=self.target.bucket,
            prefix=self.target.prefix + SUFFIX,
            region=self.target.region,
            endpoint=self.target.endpoint,
            fixed_keys=self.target.fixed_keys,
        )

    def copy(self) -> int:
        client = self.target.client()
        copied = 0
        source_prefix = self.target.prefix + "/"
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.target.bucket, Prefix=source_prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                dest = self.target.prefix + SUFFIX + "/" + key[len(source_prefix) :]
                client.copy_object(
                    Bucket=self.target.bucket, Key=dest, CopySource={"Bucket": self.target.bucket, "Key": key}
                )
                copied += 1
        return copied

    def truncate(self, level: int, name: str) -> tuple[int, int]:
        client = self.target.client()
        key = f"{self.target.prefix}{SUFFIX}/{level:04x}/{name}"
        body = client.get_object(Bucket=self.target.bucket, Key=key)["Body"].read()
        client.put_object(Bucket=self.target.bucket, Key=key, Body=body[: len(body) // 2])
        return len(body), len(body) // 2

    @property
    def url(self) -> str:
        return self.scratch_target.restore_url()

    def remove(self) -> int:
        """Delete every object under ``<prefix>-corrupt/``; how many."""
        client = self.target.client()
        removed = 0
        prefix = self.target.prefix + SUFFIX + "/"
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.target.bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=self.target.bucket, Delete={"Objects": keys, "Quiet": True})
                removed += len(keys)
        return removed

    def url_of_original(self) -> str:
        return self.target.restore_url()


def restore_plan(litestream: Path, url: str, out: Path, env: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """The files ``litestream restore -dry-run -json`` says it would read, in order."""
    argv = [str(litestream), "restore", "-dry-run", "-json", "-o", str(out), url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"litestream restore -dry-run exited {done.returncode}: {done.stderr.strip()[-300:]}")
    files = json.loads(done.stdout).get("files") or []
    return [f for f in files if isinstance(f, dict)]


def check_corrupt_object(
    scratch: ScratchReplica, litestream: Path, source: Path, out: Path, log: Path, env: Mapping[str, str] | None
) -> tuple[bool, str, dict[str, Any]]:
    """(passed, detail, value) of the ``corrupt_object`` check; the damaged copy is deleted afterwards, pass or fail."""
    try:
        return _check(scratch, litestream, source, out, log, env)
    finally:
        scratch.remove()


def _check(
    scratch: ScratchReplica, litestream: Path, source: Path, out: Path, log: Path, env: Mapping[str, str] | None
) -> tuple[bool, str, dict[str, Any]]:
    for suffix in ("", "-wal", "-shm"):
        out.with_name(out.name + suffix).unlink(missing_ok=True)
    copied = scratch.copy()
    plan = restore_plan(litestream, scratch.url, out, env)
    if not plan:
        return False, f"the restore plan of the copied replica ({copied} objects) lists no LTX file to damage", {}
    victim = plan[-1]
    level, name = int(victim["level"]), str(victim["name"])
    before, after = scratch.truncate(level, name)
    value: dict[str, Any] = {"level": level, "name": name, "bytes": before, "truncated_to": after, "plan": len(plan)}
    argv = [str(litestream), "restore", "-o", str(out), scratch.url]
    with log.open("a") as fh:
        fh.write(f"# corrupt-object: L{level} {name} cut from {before} to {after} bytes\n$ {' '.join(argv)}\n")
        fh.flush()
        offset = fh.tell()
        done = subprocess.run(argv, stdout=fh, stderr=subprocess.STDOUT, timeout=600, env=env, check=False)
    value["exit_code"] = done.returncode
    what = f"L{level} {name} cut from {before} to {after} bytes (file {len(plan)} of the restore plan)"
    if done.returncode != 0:
        output = _output_since(log, offset)
        last = _last_line(output)
        value["error"] = last
        if done.returncode < 0:
            return False, f"restore of the damaged replica ({what}) died by signal {-done.returncode}: {last}", value
        if "panic:" in output or done.returncode != 1:
            panic = next((ln.strip() for ln in output.splitlines() if ln.startswith("panic:")), last)
            crashed = f"crashed (exit {done.returncode}), no clean error: {panic[:300]}"
            return False, f"restore of the damaged replica ({what}) {crashed}", value
        return True, f"restore refused the damaged replica ({what}): exit {done.returncode}, {last}", value
    if not out.exists():
        return False, f"restore of the damaged replica ({what}) exited 0 without a database", value
    comparison = compare(source, out)
    if not (comparison.counts_match and comparison.digests_match):
        differ = [n for n, t in comparison.tables.items() if t["source_sha256"] != t["restored_sha256"]]
        return False, f"restore of the damaged replica ({what}) SUCCEEDED WITH OTHER DATA: differ {differ}", value
    return False, f"restore of the damaged replica ({what}) exited 0; it must fail with an error", value


def _output_since(log: Path, offset: int) -> str:
    with log.open("rb") as fh:
        fh.seek(offset)
        return fh.read().decode("utf-8", "replace")


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"
