"""Real parts for the Homebrew tests: git repos on disk, HTTP servers on 127.0.0.1, the invoke CLI."""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from common.versions import parse_version
from release.homebrew.checksums_source import pick_archives, read_checksums
from release.homebrew.formula import render_formula
from release.homebrew.jobs import FormulaInputs
from tests.support.paths import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "homebrew"
CHECKSUMS = FIXTURES / "checksums-v0.5.16.txt"
PUBLISHED = FIXTURES / "published-v0.5.16.rb"
OLDER = FIXTURES / "published-v0.5.15.rb"
GOLDEN = FIXTURES / "litestream-v0.5.16.rb.golden"
FAKE_TOKEN = "fake-token-TESTONLY"


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run git for test setup and inspection, failing loudly."""
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]
    result = subprocess.run(
        ["git", *identity, *args], cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=60
    )
    return result.stdout.strip()


def make_tap(root: Path, files: dict[str, str] | None = None, name: str = "tap.git") -> Path:
    """A bare repository on branch main, seeded with ``files`` in one commit (none: an empty repository)."""
    bare = root / name
    git("init", "-q", "--bare", "-b", "main", str(bare))
    if files:
        seed = root / f"{name}-seed"
        git("clone", "-q", str(bare), str(seed))
        for path, text in files.items():
            (seed / path).parent.mkdir(parents=True, exist_ok=True)
            (seed / path).write_text(text)
        git("add", "-A", cwd=seed)
        git("commit", "-q", "-m", "seed", cwd=seed)
        git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=seed)
    return bare


def refs(bare: Path) -> str:
    return git("for-each-ref", "--format=%(refname) %(objectname)", cwd=bare)


def commit_count(bare: Path, branch: str = "main") -> int:
    return int(git("rev-list", "--count", branch, cwd=bare))


def show(bare: Path, path: str, rev: str = "main") -> str:
    return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=bare, check=True, capture_output=True, text=True).stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServedRelease:
    """A release laid out like GitHub's downloads (``<url_base>/<tag>/<file>``), served from 127.0.0.1."""

    url_base: str
    directory: Path
    tag: str = "v0.5.16"

    def inputs(self, **overrides: Any) -> FormulaInputs:
        """release.formula/tap inputs that take this release's published checksums.txt."""
        fields: dict[str, Any] = {"version": self.tag, "checksums": None, "url_base": self.url_base}
        fields["dist"] = self.directory.parent / "no-local-build"
        return FormulaInputs(**{**fields, **overrides})

    def formula(self) -> str:
        """The formula release.formula renders for this release."""
        version = parse_version(self.tag)
        checksums = read_checksums((self.directory / "checksums.txt").read_text(), source="served")
        return render_formula(version, pick_archives(checksums, version), url_base=self.url_base)


def write_release(root: Path, tag: str = "v0.5.16") -> Path:
    """``<root>/<tag>/``: a small stand-in file for every name of checksums-v0.5.16.txt, and a checksums.txt with
    their real sha256 (what the formula's URLs serve is all release.tap checks)."""
    directory = root / tag
    directory.mkdir(parents=True)
    number = tag[1:]
    lines = []
    for line in CHECKSUMS.read_text().splitlines():
        name = line.split("  ", 1)[1].replace("0.5.16", number)
        data = f"stand-in for {name}\n".encode()
        (directory / name).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
    (directory / "checksums.txt").write_text("".join(sorted(lines, key=lambda x: x.split("  ")[1])))
    return directory


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def file_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers: every request times out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class GitHttp:
    """``git http-backend`` behind a tiny WSGI app that demands HTTP Basic auth with one password."""

    def __init__(self, project_root: Path, password: str) -> None:
        self.project_root = project_root
        self.password = password
        self.authorizations: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        self.authorizations.append(header)
        user, password = "", ""
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if password != self.password:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="tap"'), ("Content-Length", "0")])
            return [b""]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": user,
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "PATH_INFO": environ.get("PATH_INFO", ""),
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
        }
        for name in ("HTTP_CONTENT_ENCODING", "HTTP_GIT_PROTOCOL"):
            if name in environ:
                env[name] = environ[name]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60).stdout
        head, _, content = out.partition(b"\r\n\r\n")
        status, headers = "200 OK", []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = value.strip()
            elif key:
                headers.append((key, value.strip()))
        start_response(status, headers)
        return [content]


class _QuietWsgi(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def git_http_server(project_root: Path, password: str) -> Iterator[tuple[str, GitHttp]]:
    """A smart-HTTP git server on 127.0.0.1 for the repos under ``project_root``; yields (base URL, app)."""
    app = GitHttp(project_root, password)
    server = make_server("127.0.0.1", 0, app, handler_class=_QuietWsgi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
