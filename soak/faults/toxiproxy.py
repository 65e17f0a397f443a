"""TCP-level S3 faults through Toxiproxy: installed with ``go install`` at a pinned version, driven over its HTTP API.

Fault → Toxiproxy mechanism (measured with v2.12.0 against moto, the test S3 server then; a TCP
mechanism, so it holds for any S3 server behind the proxy; see the README, "Soak under faults"):
- latency: a ``latency`` toxic on the downstream (answers are delayed by ``latency_ms``);
- reset: a ``reset_peer`` toxic (TCP RST) with toxicity P — Toxiproxy rolls the dice once per connection;
- outage: the proxy is *disabled*, so its listener closes: new connections are refused, open ones are cut.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from common.errors import UserError
from common.processes import Child, environ_without, free_port
from common.tools import go_install, tools_cache_dir

TOXIPROXY_VERSION = "v2.12.0"
TOXIPROXY_PACKAGE = "github.com/Shopify/toxiproxy/v2/cmd/server"
# Unset, v2.12.0 logs at trace level: several lines per connection, ~18 MB an hour of a soak. At warn it still
# logs each connection's end (~3 MB an hour) and the bind failure ``_server_error`` looks for.
LOG_LEVEL = "warn"


def toxiproxy_binary(cache: Path | None = None) -> Path:
    return (cache or tools_cache_dir()) / "toxiproxy" / TOXIPROXY_VERSION / "server"


def ensure_toxiproxy(cache: Path | None = None) -> Path:
    """The pinned toxiproxy server binary, ``go install``-ed into the cache the first time."""
    binary = toxiproxy_binary(cache)
    return go_install(
        binary,
        TOXIPROXY_PACKAGE,
        TOXIPROXY_VERSION,
        what=f"Toxiproxy {TOXIPROXY_VERSION}",
        no_go="Toxiproxy is needed for the S3 faults but `go` is not on PATH; install Go (https://go.dev/dl) "
        "or drop --s3-latency/--s3-reset-rate/--s3-outage/--chaos",
        fix="check that the Go module proxy is reachable (GOPROXY) or pre-install it with "
        f"`GOBIN={binary.parent} go install {TOXIPROXY_PACKAGE}@{TOXIPROXY_VERSION}`",
    )


class Toxiproxy:
    """A toxiproxy server on a free loopback port; one proxy per upstream, toxics added and removed by name."""

    def __init__(self, binary: Path, log: Path) -> None:
        self.binary = binary
        self.log = log
        self.api = ""
        self._http = requests.Session()
        self._process: Child | None = None
        self._log_start = 0

    @property
    def env(self) -> dict[str, str]:
        """A TCP proxy needs no AWS credentials."""
        return {**environ_without("AWS_"), "LOG_LEVEL": LOG_LEVEL}

    def start(self, attempts: int = 3) -> None:
        """Start on a free port; a port taken between choosing and binding is retried on another."""
        for attempt in range(attempts):
            port = free_port()
            self.api = f"http://127.0.0.1:{port}"
            argv = [str(self.binary), "-host", "127.0.0.1", "-port", str(port)]
            self._process = Child("toxiproxy", argv, self.log, env=self.env)
            self._log_start = self.log.stat().st_size if self.log.exists() else 0  # this attempt's lines only
            try:
                self._process.start().wait_ready(self._answers, fix=f"see {self.log}", failed=self._server_error)
                return
            except UserError as exc:
                if "address already in use" not in str(exc) or attempt == attempts - 1:
                    raise

    def _server_error(self) -> str | None:
        """v2.12.0 logs a bind failure as "Server finished with error" and keeps running."""
        try:
            with self.log.open("rb") as fh:
                fh.seek(self._log_start)
                lines = fh.read().decode(errors="replace").splitlines()
            for line in lines:
                if "Server finished with error" in line:
                    return str(json.loads(line).get("error", line))
        except (OSError, ValueError):
            return None
        return None

    def _answers(self) -> bool:
        try:
            return self._http.get(f"{self.api}/version", timeout=1).ok
        except requests.RequestException:
            return False

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            resp = self._http.request(method, f"{self.api}{path}", json=body, timeout=10)
        except requests.RequestException as exc:
            raise UserError(f"toxiproxy API at {self.api} did not answer {method} {path}: {exc}") from None
        if not resp.ok:
            raise UserError(f"toxiproxy refused {method} {path}: HTTP {resp.status_code} {resp.text.strip()}")
        return resp.json() if resp.content else None

    def create_proxy(self, name: str, upstream: str) -> int:
        """A proxy listening on a free 127.0.0.1 port to ``upstream`` (host:port); returns the port."""
        for attempt in range(3):
            port = free_port()
            try:
                self._call("POST", "/proxies", {"name": name, "listen": f"127.0.0.1:{port}", "upstream": upstream})
                return port
            except UserError as exc:  # the port was taken between choosing and binding: another one
                if "address already in use" not in str(exc) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Disabled = listener closed: connections refused and open ones cut (our outage)."""
        self._call("POST", f"/proxies/{name}", {"enabled": enabled})

    def add_toxic(
        self, proxy: str, toxic: str, kind: str, attributes: dict[str, Any], *, toxicity: float = 1.0
    ) -> None:
        body = {"name": toxic, "type": kind, "stream": "downstream", "toxicity": toxicity, "attributes": attributes}
        self._call("POST", f"/proxies/{proxy}/toxics", body)

    def remove_toxic(self, proxy: str, toxic: str) -> None:
        self._call("DELETE", f"/proxies/{proxy}/toxics/{toxic}")

    def proxy(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/proxies/{name}")
        return result

    def reset(self) -> None:
        """Every proxy enabled, every toxic removed: a plain TCP pass-through."""
        self._call("POST", "/reset")

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop(grace_s=5)
        self._http.close()
