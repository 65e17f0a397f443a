"""HTTP-level S3 faults: mitmdump as a reverse proxy answering a fraction of requests with 503 SlowDown / 500 /
429 TooManyRequests / 408 RequestTimeout (the last two with Retry-After, as throttling providers answer).

mitmproxy lives in its own venv in the tools cache (it pins its own Flask/cryptography/… versions, which must not
touch the project's environment). ``keep_host_header`` forwards the client's Host header
unchanged, so an S3 SigV4 signature computed by the client still validates at the server.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.processes import Child, environ_without, free_port, port_open
from common.tools import run_install, tools_cache_dir

MITMPROXY_VERSION = "11.0.2"  # the newest mitmproxy that supports Python 3.11
ADDON = Path(__file__).with_name("mitm_addon.py")


def mitmdump_binary(cache: Path | None = None) -> Path:
    return (cache or tools_cache_dir()) / "mitmproxy" / MITMPROXY_VERSION / "bin" / "mitmdump"


def ensure_mitmdump(cache: Path | None = None) -> Path:
    """The pinned mitmdump, pip-installed into its own venv in the cache the first time."""
    binary = mitmdump_binary(cache)
    if binary.is_file():
        return binary
    venv = binary.parent.parent
    fix = (
        f"check that PyPI is reachable, or pre-install: {sys.executable} -m venv {venv} && "
        f"{venv}/bin/pip install mitmproxy=={MITMPROXY_VERSION}"
    )
    what = f"mitmproxy {MITMPROXY_VERSION}"
    run_install([sys.executable, "-m", "venv", "--clear", str(venv)], env=None, what=what, fix=fix)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    try:
        run_install([*pip, f"mitmproxy=={MITMPROXY_VERSION}"], env=None, what=what, fix=fix)
    except Exception:
        # A half-built venv must not look installed next time.
        binary.unlink(missing_ok=True)
        raise
    return binary


@dataclass(frozen=True)
class InjectedError:
    time: float
    status: int
    code: str
    method: str
    path: str


class HttpErrorProxy:
    """mitmdump reverse-proxying to ``upstream`` (an http:// URL), injecting errors at ``rate``."""

    def __init__(self, mitmdump: Path, upstream: str, workdir: Path, *, rate: float, seed: int) -> None:
        self.upstream = upstream
        self.port = 0
        self.control = workdir / "mitm-control.json"
        self.injections = workdir / "mitm-injected.jsonl"
        self.log = workdir / "mitmdump.log"
        self._confdir = workdir / "mitm-conf"
        self._mitmdump = mitmdump
        self._seed = seed
        self._read_offset = 0
        self._process: Child | None = None
        self.set_rate(rate)

    def start(self) -> int:
        """Start on a free loopback port; returns it."""
        self.injections.touch()
        self.port = free_port()
        argv = [
            str(self._mitmdump),
            "--mode",
            f"reverse:{self.upstream}",
            "--listen-host",
            "127.0.0.1",
            "--listen-port",
            str(self.port),
            "-s",
            str(ADDON),
            "--set",
            "keep_host_header=true",
            "--set",
            "connection_strategy=lazy",
            "--set",
            f"confdir={self._confdir}",
            "--set",
            "flow_detail=0",
            "--set",
            "termlog_verbosity=warn",
            "--set",
            f"s3_errors_control={self.control}",
            "--set",
            f"s3_errors_log={self.injections}",
        ]
        self._process = Child("mitmdump", argv, self.log, env=environ_without("AWS_"))  # no credentials in a proxy
        port = self.port
        self._process.start().wait_ready(lambda: port_open(port), timeout_s=30, fix=f"see {self.log}")
        return self.port

    def set_rate(self, rate: float) -> None:
        """Change the injection rate on the fly (the addon re-reads the control file)."""
        tmp = self.control.with_suffix(".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"rate": rate, "seed": self._seed}))
        tmp.replace(self.control)

    def new_injections(self) -> list[InjectedError]:
        """Errors injected since the previous call (read from the addon's JSON lines)."""
        if not self.injections.is_file():
            return []
        with self.injections.open() as fh:
            fh.seek(self._read_offset)
            chunk = fh.read()
        complete, _, _ = chunk.rpartition("\n")
        if not complete:
            return []
        self._read_offset += len(complete) + 1
        found: list[InjectedError] = []
        for line in complete.splitlines():
            data: dict[str, Any] = json.loads(line)
            found.append(InjectedError(**data))
        return found

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop(grace_s=5)
            self._process = None
