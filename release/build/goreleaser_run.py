"""Running GoReleaser without touching the checkout: a scratch clone at HEAD, a health check, one release run.

GoReleaser writes ``dist/`` into the repository and its before-hooks run ``go mod tidy`` there, so it runs on a
clone. The clone keeps the checkout's origin URL: GoReleaser reads it (``git ls-remote --get-url``) and without a
remote a snapshot silently falls back to tag v0.0.0. The URL is only read, never contacted.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from common.errors import UserError
from release.build.toolchain import go_env

# Always skipped: release.build never publishes, signs, builds images or announces.
ALWAYS_SKIP = ("publish", "announce", "sign", "docker")
# A tool `goreleaser healthcheck` finds missing -> the --skip value of the only pipe that needs it.
TOOL_PIPES = {"syft": "sbom", "docker": "docker", "cosign": "sign", "gpg": "sign", "gpg2": "sign"}
_MISSING = re.compile(r"⚠\s+(\S+)\s+-\s+not present in path")
# Terminal colour codes: CI runners often set CLICOLOR_FORCE, which makes GoReleaser colour even a pipe.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_FORCE_COLOUR = ("CLICOLOR_FORCE", "FORCE_COLOR")
# Tokens never reach GoReleaser: nothing is published, so nothing needs them.
_SECRET_SUFFIXES = ("_TOKEN", "_KEY", "_SECRET", "_PASSWORD")


def _git(args: Sequence[str], cwd: Path, *, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        raise UserError(f"git {' '.join(args[:2])} in {cwd} failed: {said[-1] if said else 'no output'}")
    return proc.stdout


def origin_url(src: Path) -> str | None:
    """The checkout's ``remote.origin.url``, or None."""
    proc = subprocess.run(
        ["git", "config", "--get", "remote.origin.url"], cwd=src, capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or None


def scratch_clone(src: Path, head_sha: str, dest: Path, *, with_worktree: bool = False) -> Path:
    """Clone ``src`` into ``dest`` at ``head_sha``; ``with_worktree`` adds its uncommitted and untracked files.

    Reads the checkout only (``GIT_OPTIONAL_LOCKS=0``: not even its index is refreshed).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    _git(["clone", "-q", "--no-checkout", str(src), str(dest)], dest.parent)
    _git(["checkout", "-q", "--detach", head_sha], dest)
    url = origin_url(src)
    if url:
        _git(["remote", "set-url", "origin", url], dest)
    if with_worktree:
        patch = _git(["diff", "--binary", "HEAD"], src)
        if patch.strip():
            _git(["apply", "--whitespace=nowarn", "-"], dest, stdin=patch)
        untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], src).split(b"\0")
        for raw in filter(None, untracked):
            name = os.fsdecode(raw)
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / name, target, follow_symlinks=False)
    return dest


def goreleaser_env(tag: str | None = None) -> dict[str, str]:
    """Go's environment (GOTOOLCHAIN=local) without secrets; ``tag`` pins GoReleaser's current tag."""
    env = {k: v for k, v in go_env().items() if not k.endswith(_SECRET_SUFFIXES)}
    for name in _FORCE_COLOUR:
        env.pop(name, None)
    env["NO_COLOR"] = "1"
    env.pop("GORELEASER_CURRENT_TAG", None)
    env.pop("GORELEASER_PREVIOUS_TAG", None)
    if tag:
        env["GORELEASER_CURRENT_TAG"] = tag
    return env


def plain(output: str) -> str:
    """GoReleaser's output without colour codes, whatever the environment asked for."""
    return _ANSI.sub("", output)


def failure_summary(output: str) -> str:
    """GoReleaser's own error, one line: the last ``⨯`` line and the ``│`` lines under it."""
    lines = plain(output).splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if "⨯" in lines[index]:
            parts = [lines[index].split("⨯", 1)[1]]
            for line in lines[index + 1 :]:
                stripped = line.strip()
                if stripped.startswith("│") or stripped.startswith("error="):
                    parts.append(stripped.lstrip("│").strip())
                elif stripped:
                    break
            text = " ".join(" ".join(part.split()) for part in parts if part.strip())
            return text.replace("error= ", "error=")
    tail = [line.strip() for line in lines if line.strip()][-3:]
    return " | ".join(tail) or "no output"


def healthcheck(binary: Path, clone: Path) -> dict[str, str]:
    """``goreleaser healthcheck`` on the clone: {missing tool: the pipe to skip}; a tool with no skip is an error."""
    proc = subprocess.run(
        [str(binary), "healthcheck"], cwd=clone, capture_output=True, text=True, env=goreleaser_env(), check=False
    )
    output = plain(proc.stdout + proc.stderr)
    missing = _MISSING.findall(output)
    if proc.returncode != 0 and not missing:
        raise UserError(f"goreleaser healthcheck failed: {failure_summary(output)}")
    skips: dict[str, str] = {}
    for tool in missing:
        if tool not in TOOL_PIPES:
            raise UserError(
                f"the GoReleaser config needs `{tool}`, which is not on PATH (goreleaser healthcheck); install it"
            )
        skips[tool] = TOOL_PIPES[tool]
    return skips


def release_argv(binary: Path, *, snapshot: bool, skips: Sequence[str], jobs: int | None = None) -> list[str]:
    """``goreleaser release --clean [--snapshot] --skip=...``: the same pipes as a real release, minus publishing."""
    argv = [str(binary), "release", "--clean", "--skip=" + ",".join(dict.fromkeys(skips))]
    if snapshot:
        argv.append("--snapshot")
    if jobs:
        argv += ["--parallelism", str(jobs)]
    return argv


def run_goreleaser(argv: Sequence[str], clone: Path, log: Path, *, env: Mapping[str, str], echo: bool = True) -> None:
    """Run GoReleaser in ``clone``, its output into ``log`` (and, indented, to stdout); failure is one line."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        out.write("$ " + " ".join(argv) + "\n")
        out.flush()
        proc = subprocess.Popen(
            list(argv),
            cwd=clone,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if echo:
                sys.stdout.write("  " + line)
                sys.stdout.flush()
        code = proc.wait()
    if code != 0:
        said = failure_summary(log.read_text(encoding="utf-8", errors="replace"))
        raise UserError(f"GoReleaser failed (exit {code}): {said}; its log is {log}")
